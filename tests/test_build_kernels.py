"""Kernels start without TCP port picking and without HOME or XDG_RUNTIME_DIR: ipc transport,
connection files and sockets in the build's own runtime folder; a kernel that cannot start is
reported with its own last words."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

from reportbuild import execute

PROBE = '''# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %%
import os
from ipykernel.kernelapp import IPKernelApp

app = IPKernelApp.instance()
print(app.transport, app.connection_file, app.ip, os.environ.get("JUPYTER_RUNTIME_DIR"))
import matplotlib.pyplot  # would warn into the output if its config folder were unusable
'''


def _jobs(tmp_path: Path, n: int, **kw) -> list[execute.Job]:
    source = tmp_path / "probe.py"
    source.write_text(PROBE)
    return [execute.Job(name=f"probe{i}", source=str(source), output=str(tmp_path / "staged" / f"probe{i}.ipynb"),
                        cwd=str(tmp_path), parameters={}, record={}, log=str(tmp_path / f"probe{i}.log"), **kw)
            for i in range(n)]


@pytest.mark.parametrize("workers,preload", [(2, False), (1, True)], ids=["fresh-kernels", "preloaded-kernels"])
def test_kernels_use_ipc_in_the_build_runtime_folder_without_home(tmp_path, monkeypatch, workers, preload):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("HOME below a regular file cannot be created, not even by root")
    monkeypatch.setenv("HOME", str(blocker / "home"))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("JUPYTER_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    jobs = _jobs(tmp_path, 2)
    workdir = tmp_path / "staged" / "jobs"
    results = execute.run_all(jobs, workers=workers, workdir=workdir, preload_kernels=preload)
    assert all(r.ok for r in results), [execute.failure_message(r, r.name) for r in results]
    runtime = workdir / "kernels"
    for job in jobs:
        outputs = nbformat.read(job.output, as_version=4).cells[-1].outputs
        assert [o.get("name") for o in outputs] == ["stdout"], outputs  # no warning about HOME
        transport, connection_file, ip, runtime_env = outputs[0]["text"].split()
        assert transport == "ipc"
        assert Path(connection_file) == runtime / f"{job.name}.json"
        assert Path(ip) == runtime / job.name
        assert Path(runtime_env) == runtime


def test_a_long_runtime_path_puts_sockets_in_a_private_temporary_folder(tmp_path):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    job = _jobs(tmp_path, 1)[0]
    config = execute.kernel_config(job, deep)
    sockets = Path(config.KernelManager.ip)
    assert len(str(sockets)) + 4 <= execute.SOCKET_PATH_MAX
    assert sockets.parent.stat().st_mode & 0o077 == 0  # private to this user
    assert Path(config.KernelManager.connection_file).parent == deep
    sockets.parent.rmdir()


def test_a_kernel_that_cannot_start_is_reported_with_its_last_words(tmp_path, monkeypatch):
    spec = tmp_path / "share" / "kernels" / "broken"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-c", "import sys; sys.exit('this kernel cannot start: no interpreter')", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "broken", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share"))
    job = _jobs(tmp_path, 1, kernel="broken")[0]
    [result] = execute.run_all([job], workers=1, workdir=tmp_path / "jobs")
    assert not result.ok and result.cell is None
    message = execute.failure_message(result, "probe.py")
    assert "Kernel died before replying to kernel_info" in message
    assert "| this kernel cannot start: no interpreter" in message
