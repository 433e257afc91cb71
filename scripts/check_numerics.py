"""Build the notebooks under perturbed numerics and compare them with the committed ones.

    python scripts/check_numerics.py            # every perturbation below
    python scripts/check_numerics.py --list     # the perturbations this CPU allows

A reviewer's machine may lack this machine's best SIMD level, or run one BLAS thread. numpy
dispatches its kernels by CPU, so transcendental functions differ in the last bits between
machines; nothing printed may depend on that. Each perturbation copies the project's files
(what git tracks, as they are in the working tree) into a temporary folder, runs the default
build there (bundled synthetic data, executed notebooks next to their sources) with the
environment changed, and requires every executed notebook (``index.ipynb``, ``notebooks/*.ipynb``) to equal this checkout's byte for
byte. Exit status 1 names the notebooks that differ. Used by tests/test_numerics.py (slow).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def simd_levels() -> list[str]:
    """numpy's dispatchable SIMD levels found on this CPU, best last (e.g. X86_V3, X86_V4)."""
    code = (
        "import numpy._core._multiarray_umath as m; "
        "print(' '.join(f for f in m.__cpu_dispatch__ if m.__cpu_features__.get(f)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.split()


def perturbations() -> dict[str, dict[str, str]]:
    """name -> environment changes: the best SIMD level(s) off, and numpy's baseline only,
    both with one BLAS thread; plus one BLAS thread alone."""
    levels = simd_levels()
    cases = {"one BLAS thread": {"OPENBLAS_NUM_THREADS": "1"}}
    if levels:
        # Switching off a level must also switch off every level above it.
        above_v3 = [f for f in levels if f not in ("X86_V2", "X86_V3")]
        if above_v3:
            cases[f"without {' '.join(above_v3)} (an AVX2 machine), one BLAS thread"] = {
                "NPY_DISABLE_CPU_FEATURES": " ".join(above_v3),
                "OPENBLAS_NUM_THREADS": "1",
            }
        cases[f"numpy baseline only (without {' '.join(levels)}), one BLAS thread"] = {
            "NPY_DISABLE_CPU_FEATURES": " ".join(levels),
            "OPENBLAS_NUM_THREADS": "1",
        }
    return cases


def project_copy(dest: Path) -> None:
    """The tracked files of this checkout, as they are in the working tree, into `dest`."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        src = ROOT / os.fsdecode(name)
        if src.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def build(copy: Path, env_changes: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_NUM_THREADS")}
    env |= env_changes
    # The copy's own helpers, not the checkout's (an editable install points at ROOT/src).
    env["PYTHONPATH"] = str(copy / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "helpers", "build", "--force", "--no-render"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )


def committed_notebooks() -> list[str]:
    """The executed notebooks the build writes next to their sources (relative paths)."""
    return ["index.ipynb", *sorted(f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb"))]


def differing(copy: Path) -> list[str]:
    return [
        n
        for n in committed_notebooks()
        if not (copy / n).is_file() or (copy / n).read_bytes() != (ROOT / n).read_bytes()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the perturbations and exit")
    parser.add_argument("--only", help="run only the perturbations whose name contains this text")
    args = parser.parse_args(argv)
    cases = perturbations()
    if args.only:
        cases = {k: v for k, v in cases.items() if args.only in k}
    if args.list:
        for name, env in cases.items():
            print(f"{name}: {' '.join(f'{k}={v!r}' for k, v in env.items())}")
        return 0
    status = 0
    for name, env in cases.items():
        with tempfile.TemporaryDirectory(prefix="numerics-") as tmp:
            copy = Path(tmp) / "project"
            project_copy(copy)
            done = build(copy, env)
            if done.returncode != 0:
                print(f"FAIL  {name}: build exited {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
                status = 1
                continue
            diff = differing(copy)
            print(f"{'ok   ' if not diff else 'FAIL '} {name}" + (f": {', '.join(diff)} differ" if diff else ""))
            status |= bool(diff)
    return status


if __name__ == "__main__":
    sys.exit(main())
