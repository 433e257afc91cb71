"""`make report DATA=broken-file` stops before any notebook runs, and writes or replaces nothing."""

from __future__ import annotations

import hashlib

import pytest
import yaml

from helpers import paths
from reportbuild import cli, execute, guard

from _build_run import recording_pool

CORPUS = paths.TESTS / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


def _snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_build_refuses_broken_file_before_executing(name, tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous report\n", encoding="utf-8")
    guard.mark_output(out)  # an earlier output of the build
    before = _snapshot(out)
    raw = (CORPUS / name).read_bytes()
    executed = []
    monkeypatch.setattr(execute, "Pool", recording_pool(executed))

    code = cli.main(["--data", str(CORPUS / name), "--out", str(out), "--jobs", "1"])

    err = capsys.readouterr().err
    assert code == 2, err
    assert not executed
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and all(name in line for line in lines), err
    if CASES[name]["column"]:
        assert any(CASES[name]["column"] in line for line in lines), err
    assert _snapshot(out) == before  # nothing written or replaced
    assert (CORPUS / name).read_bytes() == raw  # the raw file is never modified
