"""Kernel runtime files: a socket path too long for a Unix socket goes to a private temporary
folder; a kernel that cannot start is reported with its own last words. (ipc transport without
HOME or XDG_RUNTIME_DIR, forked and fresh: tests/test_build_preload.py.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reportbuild import execute

PROBE = """# %%\nx = 1\n"""


def _jobs(tmp_path: Path, n: int, **kw) -> list[execute.Job]:
    source = tmp_path / "probe.py"
    source.write_text(PROBE)
    return [
        execute.Job(
            name=f"probe{i}",
            source=str(source),
            output=str(tmp_path / "staged" / f"probe{i}.ipynb"),
            cwd=str(tmp_path),
            parameters={},
            record={},
            log=str(tmp_path / f"probe{i}.log"),
            **kw,
        )
        for i in range(n)
    ]


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
    argv = [
        sys.executable,
        "-c",
        "import sys; sys.exit('this kernel cannot start: no interpreter')",
        "{connection_file}",
    ]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "broken", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share"))
    job = _jobs(tmp_path, 1, kernel="broken")[0]
    [result] = execute.run_all([job], workers=1, workdir=tmp_path / "jobs")
    assert not result.ok and result.cell is None
    message = execute.failure_message(result, "probe.py")
    assert "Kernel died before replying to kernel_info" in message
    assert "| this kernel cannot start: no interpreter" in message
