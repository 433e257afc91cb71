"""nbval's kernels forked from the build's preload process (reportbuild.nbval_kernels): a notebook
sees the preloaded libraries (and fails nbval when the kernel is fresh, so the check can fail);
tests in the same session see neither the private kernelspec nor the preload process.

Slow: each run starts pytest, a preload process and a kernel (about 5 s of CPU in all); `make
test` itself runs every notebook through the plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="preloading is Linux-only"),
]

# Recorded as a forked kernel prints it: pandas is among the preloaded libraries, and a fresh
# kernel does not import it before the cell does; the build's kernel environment (the hash seed,
# the cores of one pytest session) where the session's own sets neither.
CELL = "import os, sys\nprint('pandas' in sys.modules, os.environ['PYTHONHASHSEED'], os.environ['HELPERS_MAX_WORKERS'])"
RECORDED = f"True 0 {os.cpu_count()}\n"

# Run in the same session after the notebook: the plugin's kernelspec and server are not its.
OTHER_TEST = """
import os
from reportbuild import preload

def test_other_tests_see_neither_the_kernelspec_nor_the_server():
    assert preload.SERVER is None
    assert "nbval-kernels-" not in os.environ.get("JUPYTER_PATH", "")
"""


def _session(folder: Path, **env: str) -> subprocess.CompletedProcess:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(CELL, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=RECORDED)]
    nb.cells = [cell]
    nbformat.write(nb, folder / "probe.ipynb")
    (folder / "test_other.py").write_text(OTHER_TEST)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "reportbuild.nbval_kernels"]
    command += ["--nbval", "--nbval-kernel-name", "python3", "probe.ipynb", "test_other.py", "-q"]
    outer = {k: v for k, v in os.environ.items() if k not in ("PYTHONHASHSEED", "HELPERS_MAX_WORKERS")}
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300, env={**outer, **env})


def test_a_notebook_runs_in_a_forked_kernel_and_other_tests_do_not_see_it(tmp_path):
    run = _session(tmp_path, HELPERS_PRELOAD="1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_with_preloading_off_the_kernel_is_fresh_and_the_recorded_output_differs(tmp_path):
    run = _session(tmp_path, HELPERS_PRELOAD="0")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout
    fresh = RECORDED.replace("True", "False").replace("\n", "\\n")
    assert "Cell 0: Cell outputs differ" in run.stdout and f"'{RECORDED[:-1]}\\n' == '{fresh}'" in run.stdout
