"""The committed notebooks do not depend on the floating-point path (slow: three builds).

A reviewer's machine may lack this CPU's best SIMD level or run one BLAS thread; numpy's
transcendental functions then differ in the last bits. scripts/check_numerics.py builds the
notebooks in a copy of the project under each perturbation and requires the committed
notebooks byte for byte."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers import paths


def _checker():
    spec = importlib.util.spec_from_file_location("check_numerics", paths.ROOT / "scripts" / "check_numerics.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_perturbations_switch_off_the_best_simd_level_and_blas_threads():
    cases = _checker().perturbations()
    assert any(env.get("OPENBLAS_NUM_THREADS") == "1" for env in cases.values())
    levels = _checker().simd_levels()
    if levels:  # the best level found on this CPU is switched off by at least one case
        assert any(levels[-1] in env.get("NPY_DISABLE_CPU_FEATURES", "").split() for env in cases.values())


@pytest.mark.slow
def test_committed_notebooks_are_reproduced_under_perturbed_numerics(capsys):
    status = _checker().main([])
    assert status == 0, capsys.readouterr().out


def test_a_changed_byte_in_any_notebook_is_caught(tmp_path):
    checker = _checker()
    names = checker.committed_notebooks()
    assert "index.ipynb" in names and len(names) >= 10
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((paths.ROOT / name).read_bytes())
    assert checker.differing(tmp_path) == []
    victim = tmp_path / names[-1]
    victim.write_bytes(victim.read_bytes().replace(b"0", b"1", 1))
    assert checker.differing(tmp_path) == [names[-1]]
    (tmp_path / names[0]).unlink()
    assert checker.differing(tmp_path) == [names[0], names[-1]]
