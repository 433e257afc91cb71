"""Kernels, forked from the preload process (reportbuild.preload) and fresh: same bytes either
way, ipc transport in the build's own runtime folder without a usable HOME or XDG_RUNTIME_DIR,
a killed kernel reported as killed, nothing left running. One module fixture executes a probe
notebook and a self-killing one both ways."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from reportbuild import execute, preload

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks"
RECORD = {"data_file": None, "output_dir": None, "seed": 2025, "min_cell_count": 5}

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="preloading is Linux-only")

# What a kernel sees of its process: every line must read the same in a forked and a fresh kernel.
PROBE = """# %%
import os, sys
import matplotlib
print("cwd:", os.path.basename(os.getcwd()))
print("sys.path:", ["<cwd>" if p == os.getcwd() else p for p in sys.path])
print("argv[0]:", os.path.basename(sys.argv[0]), "| args:", sys.argv[1:2])
print("hash seed fixed:", os.environ.get("PYTHONHASHSEED"), hash("link workers"))
print("backend:", matplotlib.get_backend(), "| env:", os.environ.get("MPLBACKEND"))
print("parent pid given:", "JPY_PARENT_PID" in os.environ)
print("session leader:", os.getsid(0) == os.getpid())
print("stdin:", sys.stdin is None or not sys.stdin.isatty())
print("helpers preloaded:", sorted(m for m in sys.modules if m.split(".")[0] in ("helpers", "reportbuild")))
from pathlib import Path
from ipykernel.kernelapp import IPKernelApp
app, runtime = IPKernelApp.instance(), Path(os.environ["JUPYTER_RUNTIME_DIR"])
print("transport:", app.transport, "| connection file:", Path(app.connection_file).relative_to(runtime),
      "| sockets:", Path(app.ip).relative_to(runtime))

# %%
import matplotlib.pyplot as plt  # would warn into the output if its config folder were unusable
plt.plot([1, 2, 3], [3, 1, 2])
plt.show()
"""
KILLED = "# %%\nx = 1\n\n# %%\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"


def _run(folder: Path, sources: list[Path], mode: str, timeout=None) -> list[tuple[execute.Result, Path]]:
    """Execute `sources` on one worker, HELPERS_PRELOAD=mode (the caller sets the environment)."""
    os.environ["HELPERS_PRELOAD"] = mode
    out = folder / mode
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        execute.Job(
            name=s.stem,
            source=str(s),
            output=str(out / f"{s.stem}.ipynb"),
            cwd=str(s.parent),
            parameters={**RECORD, "output_dir": str(out / "files")},
            record=RECORD,
            timeout=timeout,
            log=str(out / f"{s.stem}.log"),
        )
        for s in sources
    ]
    results = {r.name: r for r in execute.run_all(jobs, workers=1, workdir=out / "jobs", preload_kernels=True)}
    return [(results[j.name], Path(j.output)) for j in jobs]


def _processes_marked(mark: str) -> list[int]:
    """Processes whose initial environment carries `mark` (forked kernels inherit the preload's)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{entry.name}/environ").read_bytes()
        except OSError:
            continue
        if mark.encode() in environ:
            found.append(int(entry.name))
    return found


def _left_running(mark: str, grace: float = 10) -> list[int]:
    deadline = time.monotonic() + grace
    while _processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    return _processes_marked(mark)


@pytest.fixture(scope="module")
def both_ways(tmp_path_factory):
    """A probe of the kernel's process (with a figure), then a notebook whose kernel kills itself,
    executed forked and fresh, with HOME unusable and XDG_RUNTIME_DIR unset."""
    folder = tmp_path_factory.mktemp("preload")
    probe, killed = folder / "notebooks" / "probe.py", folder / "notebooks" / "killed.py"
    probe.parent.mkdir()
    probe.write_text(PROBE)
    killed.write_text(KILLED)
    blocker = folder / "not-a-folder"
    blocker.write_text("HOME below a regular file cannot be created, not even by root")
    mark = f"preload-test-{uuid.uuid4().hex}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HELPERS_TEST_MARK", mark)
        mp.setenv("HOME", str(blocker / "home"))
        for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "JUPYTER_RUNTIME_DIR", "MPLCONFIGDIR"):
            mp.delenv(name, raising=False)
        runs = {mode: _run(folder, [probe, killed], mode) for mode in ("1", "0")}
        left = _left_running(mark)
    return runs, left


@pytest.mark.slow  # the module fixture executes four notebooks, two ways
def test_forked_kernel_gives_the_same_bytes_as_a_fresh_kernel(both_ways):
    runs, _ = both_ways
    (forked, forked_nb), (fresh, fresh_nb) = runs["1"][0], runs["0"][0]
    assert forked.ok and fresh.ok, (forked, fresh)
    assert forked_nb.read_bytes() == fresh_nb.read_bytes()
    assert forked.peak_mb > 50 and fresh.peak_mb > 50  # the kernel's own memory, found both ways
    probe = forked_nb.read_text()
    assert '"image/png"' in probe  # drawn by the inline backend
    assert "helpers preloaded: []" in probe  # the project's own code is never preloaded
    assert "session leader: True" in probe and "backend: module://matplotlib_inline" in probe


@pytest.mark.slow  # the module fixture executes four notebooks, two ways
def test_kernels_use_ipc_in_the_build_runtime_folder_without_home(both_ways):
    runs, _ = both_ways
    for mode in ("1", "0"):
        nb = nbformat.read(runs[mode][0][1], as_version=4)
        streams = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream"]
        assert [o["name"] for o in streams] == ["stdout"], streams  # no warning about HOME
        assert "transport: ipc | connection file: probe.json | sockets: probe\n" in streams[0]["text"]


@pytest.mark.slow  # the module fixture executes four notebooks, two ways
def test_a_killed_kernel_is_reported_as_killed(both_ways):
    runs, _ = both_ways
    for mode in ("1", "0"):
        result, _ = runs[mode][1]
        assert not result.ok
        assert "the kernel was killed by signal SIGKILL" in result.error, (mode, result.error)


@pytest.mark.slow  # the module fixture executes four notebooks, two ways
def test_nothing_outlives_the_build(both_ways):
    _, left = both_ways
    assert left == []


@pytest.mark.slow
def test_a_timeout_stops_a_forked_kernel(tmp_path, monkeypatch):
    mark = f"preload-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("HELPERS_TEST_MARK", mark)
    monkeypatch.setenv("HELPERS_PRELOAD", "1")
    source = tmp_path / "nb" / "slow.py"
    source.parent.mkdir()
    source.write_text("# %%\nimport time\n\n# %%\ntime.sleep(120)\n")
    start = time.monotonic()
    [(result, _)] = _run(tmp_path, [source], "1", timeout=2)
    assert not result.ok
    assert result.error.startswith("CellTimeoutError: A cell timed out while it was being executed, after 2 seconds")
    assert time.monotonic() - start < 60
    assert _left_running(mark) == []


def test_other_kernels_start_the_usual_way():
    python = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    env = execute.kernel_environment()
    server = preload.ForkServer(env, python)
    conn = server.connect()
    client = preload.ForkClient(conn, server.pid, python, env)
    try:
        status = str(Path(os.getcwd()) / "never-written.exit")
        assert client.fork(["/usr/bin/R", "--slave", "-e", "IRkernel::main()"], os.getcwd(), env, status) is None
        flagged = [sys.executable, "-Xfrozen_modules=off", *python[1:]]  # other interpreter flags
        assert client.fork(flagged, os.getcwd(), env, status) is None
        hashed = {**env, "PYTHONHASHSEED": "12345"}  # read once, when the interpreter starts
        assert client.fork(python, os.getcwd(), hashed, status) is None
        assert client.alive()
    finally:
        server.close()
    assert server.proc.returncode is not None  # stopped (at once, even while it was importing)
    assert not client.alive()  # the server has gone: its kernels' status is not known to be 0
    client.close()
    assert preload.ForkServer(env, ["/usr/bin/R", "--slave"]).proc is None  # nothing to preload for


def test_launcher_prefix_keeps_the_interpreter_flags():
    argv = ["/env/bin/python", "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert preload._launcher_prefix(argv) == argv[:4]
    assert preload._launcher_prefix(["python", "-m", "other_kernel", "-f", "x"]) is None


def test_forked_process_status_is_what_the_preload_process_wrote(tmp_path):
    class Gone:  # a preload process that has exited
        def alive(self):
            return False

    child = subprocess.Popen(["sleep", "30"])
    status = tmp_path / "k.exit"
    try:
        proc = preload.ForkedProcess(child.pid, str(status))
        assert proc.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)
        proc.kill()
        status.write_text("-9")  # what the preload process writes when it reaps a SIGKILLed child
        assert proc.wait(timeout=5) == -9
        proc.kill()  # no error once it has gone
    finally:
        child.kill()
        child.wait()
    assert preload.ForkedProcess(child.pid, str(tmp_path / "none.exit"), Gone()).poll() == 1  # unknown is not 0


def test_preloading_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("HELPERS_PRELOAD", "0")
    assert not preload.enabled()
    monkeypatch.setenv("HELPERS_PRELOAD", "1")
    assert preload.enabled() == sys.platform.startswith("linux")
