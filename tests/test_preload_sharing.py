"""One preload process kept for many builds in one process (reportbuild.preload.kept_server,
SHARING): what a test session uses so that its builds and nbval do not each import the libraries
again. Kernels forked from a kept process are the build's usual forked kernels (tests of the
forked kernels themselves: tests/test_build_preload.py)."""

from __future__ import annotations

import sys

import pytest

from reportbuild import execute, preload

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="preloading is Linux-only")

RECORD = {"data_file": None, "output_dir": None, "seed": 2025, "min_cell_count": 5}
PARENT = '# %%\nimport os\nfrom pathlib import Path\nPath(output_dir).mkdir()\nPath(output_dir, "parent").write_text(str(os.getppid()))\n'


class _Running:
    def poll(self):
        return None


class _RecordingServer:
    """A ForkServer that starts no process and records the environment it was started with."""

    started: list[dict] = []

    def __init__(self, env, kernel_argv, log=None):
        self.env, self.proc, self.closed = dict(env), _Running(), False
        _RecordingServer.started.append(self.env)

    def close(self):
        self.closed = True


def test_only_environments_that_differ_in_what_a_kernel_reads_at_start_share_a_process(monkeypatch):
    monkeypatch.setattr(preload, "ForkServer", _RecordingServer)
    monkeypatch.setattr(preload, "_KEPT", {})
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    base = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "JUPYTER_RUNTIME_DIR": "/a", "JUPYTER_PATH": "/a"}
    first = preload.kept_server(base, argv)
    start_only = {"JUPYTER_RUNTIME_DIR": "/b", "JUPYTER_PATH": "/b", "HELPERS_SURVEY_CACHE_DIR": "/b", "PYTEST_X": "1"}
    assert preload.kept_server({**base, **start_only}, argv) is first
    # read while the libraries are imported (BLAS threads, the hash seed): a process of its own
    threads = preload.kept_server({**base, "OPENBLAS_NUM_THREADS": "2"}, argv)
    seed = preload.kept_server({**base, "PYTHONHASHSEED": "1"}, argv)
    assert len({id(first), id(threads), id(seed)}) == 3
    first.proc.poll = lambda: 1  # the kept process has exited: a new one, not a dead one
    assert preload.kept_server(base, argv) is not first
    servers = list(preload._KEPT.values())
    preload.close_kept()
    assert all(s.closed for s in servers) and not preload._KEPT


def test_builds_in_sharing_mode_fork_their_kernels_from_one_kept_process(tmp_path, monkeypatch, shared_preload):
    source = tmp_path / "parent.py"
    source.write_text(PARENT)
    if not preload.enabled():
        pytest.skip("HELPERS_PRELOAD=0: kernels start fresh")
    parents = []
    for run in ("first", "second"):  # two pools, one after the other, as two builds
        out = tmp_path / run
        job = execute.Job(
            name="parent",
            source=str(source),
            output=str(out / "parent.ipynb"),
            cwd=str(tmp_path),
            parameters={**RECORD, "output_dir": str(out / "files")},
            record=RECORD,
        )
        (result,) = execute.run_all([job], workers=1, workdir=out / "jobs")
        assert result.ok, result
        parents.append(int((out / "files" / "parent").read_text()))
    kept = [s for s in preload._KEPT.values() if s.pid == parents[0]]
    assert parents[0] == parents[1] and kept  # both kernels are children of one kept process
    assert kept[0].proc.poll() is None  # still running after both pools closed: kept for the next
