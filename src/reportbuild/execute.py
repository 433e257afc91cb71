"""Execute notebooks: Jupytext source -> papermill (with parameters) -> normalised .ipynb.

Notebooks run in ``workers`` long-lived worker processes (``python -m reportbuild.execute
--serve``; a ``Pool``), each taking one notebook at a time from the parent, so papermill and its
imports load once per worker rather than once per notebook; a worker ends as soon as no notebook
is left for it. Every notebook still gets a fresh kernel (forked from the pool's one preload
process where that pays): nothing a notebook does can reach another. The parent prints one line when a notebook starts and one
when it ends. A worker writes only into the staging folder it is given (and the notebook's log);
the caller decides what to keep. ``python -m reportbuild.execute JOB.json RESULT.json`` runs a
single notebook.

Conventions (documented in README.md):
- the kernel is ``python3`` resolved against this environment first (JUPYTER_PATH is prefixed
  with ``sys.prefix/share/jupyter``; the spec's ``python`` means ``sys.executable``), so the
  kernel runs on the interpreter running the build;
- the working directory of the kernel is the notebook's own folder (``notebooks/``), as in
  JupyterLab and in ``pytest --nbval``;
- executed notebooks are normalised so that the same inputs give the same bytes: papermill's
  timings and metadata removed, cell ids derived from cell content, the injected parameters cell
  rewritten to the parameters as requested (never staging paths), keys sorted (nbformat).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from collections.abc import Callable

from . import preload, provisioner

KERNEL = "python3"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
VOLATILE_CELL_KEYS = ("papermill", "execution", "ExecuteTime")
# `<object at 0x7f3a...>` in a text/plain repr changes on every run; nbval is given the same rule
# (.ci/nbval-sanitize.cfg), so stored and fresh outputs still compare equal.
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")


@dataclass
class Job:
    name: str
    source: str  # .py (Jupytext percent) or .ipynb
    output: str  # where the executed notebook is written (staging)
    cwd: str  # kernel working directory
    parameters: dict  # what the kernel receives
    record: dict  # what the executed notebook shows in its injected-parameters cell
    kernel: str = KERNEL
    timeout: int | None = None  # seconds per cell (None = no limit)
    log: str = ""
    runtime: str = ""  # private folder for the kernel's connection file and sockets


@dataclass
class Result:
    name: str
    ok: bool
    seconds: float = 0.0
    peak_mb: float = 0.0
    cell: int | None = None  # 1-based, counted in the source notebook
    line: int | None = None  # line of the cell's first source line in the .py
    first_line: str = ""
    error: str = ""
    log: str = ""
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- notebooks


def read_source(path: Path):
    """The notebook a source stands for: a Jupytext text file (.py), or an .ipynb as is."""
    import jupytext

    nb = jupytext.read(path)
    if not (nb.metadata.get("kernelspec") or {}).get("name"):
        # papermill refuses a notebook without a kernel name
        nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL}
    return nb


def parameters_source(record: dict) -> str:
    from papermill.translators import translate_parameters

    return translate_parameters(KERNEL, "python", record, "Parameters").rstrip("\n")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def cell_ids(cells) -> list[str]:
    """Stable ids: a hash of the cell's type and source (numbered if two cells are identical)."""
    seen: dict[str, int] = {}
    ids = []
    for c in cells:
        base = hashlib.sha1(f"{c.cell_type}\n{c.source}".encode()).hexdigest()[:8]
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.append(base if n == 0 else f"{base}-{n}")
    return ids


def normalise(nb, record: dict | None = None):
    """Strip what varies between runs of the same inputs; record the requested parameters."""
    md = nb.metadata
    md.pop("papermill", None)
    md.pop("widgets", None)
    if "language_info" in md:
        md["language_info"].pop("version", None)
    jt = md.get("jupytext")
    if isinstance(jt, dict):
        jt.pop("text_representation", None)
        if not jt:
            md.pop("jupytext")
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = ADDRESS.sub("0x0", _text(out.get("text", "")))
            elif "text/plain" in out.get("data", {}):
                out["data"]["text/plain"] = ADDRESS.sub("0x0", _text(out["data"]["text/plain"]))
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.metadata.get("tags") == []:
            del cell.metadata["tags"]
        if record is not None and "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = parameters_source(record)
    for cell, cid in zip(nb.cells, cell_ids(nb.cells)):
        cell["id"] = cid
    if nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    return nb


def dumps(nb) -> str:
    import nbformat

    return nbformat.writes(nb, version=4).rstrip("\n") + "\n"


def write(nb, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def source_cells(nb) -> list:
    """Cells as written by the author: without papermill's injected and error cells."""
    skip = {"injected-parameters", "papermill-error-cell-tag"}
    return [c for c in nb.cells if not skip & set(c.metadata.get("tags", []))]


def _cell_lines(py: Path) -> list[int]:
    """1-based line of each `# %%` cell marker in a percent-format file."""
    try:
        lines = py.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [i + 1 for i, l in enumerate(lines) if l.startswith("# %%")]


def _first_code_line(source: str) -> str:
    for line in source.splitlines():
        s = line.strip()
        if s and not s.startswith("#|"):
            return s
    return ""


def describe_failure(nb, source: Path, result: Result) -> None:
    """Fill in which cell failed (numbered as in the source) and the exception's last line."""
    cells = source_cells(nb)
    for i, cell in enumerate(cells, start=1):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        err = errors[0]
        tb = [ANSI.sub("", t) for t in err.get("traceback", [])]
        last = [l for l in "\n".join(tb).splitlines() if l.strip()]
        result.cell = i
        result.first_line = _first_code_line(cell.source)
        result.error = last[-1].strip() if last else f"{err.get('ename')}: {err.get('evalue')}"
        markers = _cell_lines(source) if source.suffix == ".py" else []
        if len(markers) == len(cells):
            result.line = markers[i - 1] + 1
        return


# --------------------------------------------------------------------------- one notebook (worker)


def kernel_environment() -> dict:
    """Environment for the worker and its kernel: this env's kernelspecs first, stable hashing."""
    env = dict(os.environ)
    share = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = os.pathsep.join([share] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("SOURCE_DATE_EPOCH", "0")  # matplotlib: no dates in SVG/PDF metadata
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    return env


def kernel_argv(kernel: str = KERNEL) -> list[str]:
    """The command that starts `kernel`, as jupyter_client will run it from this interpreter."""
    return provisioner.kernel_argv(kernel)


class KernelPeak:
    """Peak resident memory (VmHWM, KiB) of the kernel this process launched, read while it runs.

    Read after every cell (papermill's `on_cell_executed` hook), so the last reading is the
    kernel's peak over the whole notebook. It measures that one kernel only (the pid the build's
    provisioner launched, forked or not), not earlier notebooks run by the same worker (which
    getrusage(RUSAGE_CHILDREN) would mix in) nor the other workers' kernels.
    """

    def __init__(self) -> None:
        self.kib = 0

    @staticmethod
    def _status_kib(pid: int, key: str = "VmHWM:") -> int | None:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return None

    def __call__(self, **_hook_arguments) -> None:
        pid = provisioner.KERNEL_PID  # a restarted kernel is the new one
        kib = self._status_kib(pid) if pid else None
        if kib is not None:
            self.kib = max(self.kib, kib)


# A Unix socket path has at most 107 bytes (sun_path); ipc sockets are named `{ip}-{N}`.
SOCKET_PATH_MAX = 100


def kernel_config(job: Job, runtime: Path):
    """jupyter_client configuration for this job's kernel: ipc transport (Unix sockets), with the
    connection file and sockets in the build's private runtime folder.

    Why: with tcp, jupyter_client picks free ports by binding to port 0 and closing the socket
    again; two workers starting kernels at the same moment can pick the same port, and one
    kernel fails to start. Socket files named after the job cannot collide, and nothing lands
    in HOME's or XDG_RUNTIME_DIR's runtime folder. A runtime folder whose path is too long for
    a socket name gets its sockets in a private temporary folder (the caller removes it).
    """
    from traitlets.config import Config

    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    sockets = runtime / job.name
    if len(str(sockets)) + 4 > SOCKET_PATH_MAX:
        sockets = Path(tempfile.mkdtemp(prefix="kernel-")) / "s"
    config = Config()
    config.AsyncKernelManager.client_class = "reportbuild.kernelclient.ReadyClient"  # no 0.2 s flush wait
    config.KernelManager.transport = "ipc"
    config.KernelManager.connection_file = str(runtime / f"{job.name}.json")
    config.KernelManager.ip = str(sockets)
    return config


def run(job: Job) -> Result:
    """Execute one notebook (in this process; the kernel is a child process)."""
    import resource

    import papermill
    from papermill.exceptions import PapermillExecutionError

    source, output = Path(job.source), Path(job.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staged_input = output.with_name(output.stem + ".input.ipynb")
    result = Result(job.name, ok=False, log=job.log)
    server = preload.SERVER
    peak = KernelPeak()
    # run_all gives each job the build's runtime folder; a job run on its own gets a private one
    runtime = Path(job.runtime) if job.runtime else Path(tempfile.mkdtemp(prefix="kernels-"))
    config = kernel_config(job, runtime)
    if server is not None:
        server.log = job.log or None
    provisioner.LAST_EXIT = provisioner.KERNEL_PID = None
    start = time.perf_counter()
    try:
        write(read_source(source), staged_input)
        papermill.execute_notebook(
            str(staged_input),
            str(output),
            parameters=job.parameters,
            kernel_name=job.kernel,
            cwd=job.cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=job.timeout,
            on_cell_executed=peak,
            config=config,
        )
        result.ok = True
    except PapermillExecutionError as exc:
        result.error = f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # kernel died, timeout, unreadable source, ...
        first = next((l.strip() for l in str(exc).splitlines() if l.strip()), "")  # the message, not a preview
        result.error = f"{type(exc).__name__}: {first}".rstrip(": ")
        ended = provisioner.exit_description(provisioner.LAST_EXIT)
        if ended:
            result.error += f" (the kernel {ended})"
    finally:
        result.seconds = round(time.perf_counter() - start, 2)
        kib = peak.kib or resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # no /proc: all children
        result.peak_mb = round(kib / 1024, 1)
        staged_input.unlink(missing_ok=True)
        sockets = Path(config.KernelManager.ip).parent
        if sockets != runtime:
            shutil.rmtree(sockets, ignore_errors=True)
        if not job.runtime:
            shutil.rmtree(runtime, ignore_errors=True)
    if output.exists():
        import nbformat

        nb = nbformat.read(output, as_version=4)
        if not result.ok:
            describe_failure(nb, source, result)
        write(normalise(nb, job.record), output)
    return result


def _run_file(job_file: str, result_file: str) -> Result:
    job = Job(**json.loads(Path(job_file).read_text()))
    result = run(job)
    Path(result_file).write_text(json.dumps(asdict(result), indent=1))
    return result


def _point_output_at(path: str | None, stderr_fd: int) -> None:
    """Send this process's fds 1 and 2 (and so its kernel's) to a notebook's log, or back."""
    sys.stdout.flush()
    sys.stderr.flush()
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    else:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.close(fd)
        os.dup2(stderr_fd, 2)


def serve(preload_fd: int | None = None, preload_pid: int | None = None) -> int:
    """Worker loop: read `JOB.json<TAB>RESULT.json` lines on stdin; after each notebook, write its
    name on the control channel (the original stdout, which kernels never inherit). With
    `preload_fd` (a connection to the build's preload process, preload.py), kernels are forked
    from that process."""
    control = os.fdopen(os.dup(1), "w", buffering=1)  # os.dup: not inheritable
    worker_stderr = os.dup(2)
    _point_output_at(None, worker_stderr)
    if preload_fd is not None:
        conn = socket.socket(fileno=preload_fd)
        preload.SERVER = preload.ForkClient(conn, preload_pid, kernel_argv(), kernel_environment())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run cleanups (papermill stops its kernel)
    try:
        for line in sys.stdin:
            job_file, result_file = line.rstrip("\n").split("\t")
            log = json.loads(Path(job_file).read_text()).get("log") or None
            _point_output_at(log, worker_stderr)
            try:
                _run_file(job_file, result_file)
            finally:
                _point_output_at(None, worker_stderr)
            control.write(Path(job_file).name + "\n")
    finally:
        provisioner.kill_running()
        if preload.SERVER is not None:
            preload.SERVER.close()
        control.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Worker entry point: `--serve [--preload FD PID]` (many notebooks), or JOB.json RESULT.json (one)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        fd = pid = None
        if "--preload" in argv:
            i = argv.index("--preload")
            fd, pid = int(argv[i + 1]), int(argv[i + 2])
        return serve(fd, pid)
    return 0 if _run_file(argv[0], argv[1]).ok else 1


# --------------------------------------------------------------------------- many notebooks (parent)


class _Worker:
    """One `--serve` worker process, and the job it is running (if any)."""

    def __init__(self, env: dict, log: Path, server: preload.ForkServer | None = None):
        self.log_path = log
        self.stderr = open(log, "w")
        conn = server.connect() if server is not None else None  # None: kernels start the usual way
        args = ["--preload", str(conn.fileno()), str(server.pid)] if conn is not None else []
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "reportbuild.execute", "--serve", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=env,
                text=True,
                bufsize=1,
                pass_fds=(conn.fileno(),) if conn is not None else (),
            )
        finally:
            if conn is not None:
                conn.close()  # the worker's now
        self.job: Job | None = None
        self.result_file: Path | None = None
        self.finished = False  # told that no job will come

    def give(self, job: Job, job_file: Path, result_file: Path) -> None:
        self.job, self.result_file = job, result_file
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{job_file}\t{result_file}\n")
        self.proc.stdin.flush()

    def collect(self) -> tuple[Result, bool]:
        """The finished job's result (called when the control channel is readable); alive?"""
        assert self.proc.stdout is not None and self.job is not None and self.result_file is not None
        alive = bool(self.proc.stdout.readline())
        job, result_file = self.job, self.result_file
        self.job = self.result_file = None
        try:
            return Result(**json.loads(result_file.read_text())), alive
        except (OSError, ValueError):
            pass
        if not alive:
            self.proc.wait()
        tail = _last_line(job.log) or _last_line(str(self.log_path))
        code = self.proc.returncode
        if code is not None and code < 0:
            try:
                status = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                status = f"was killed by signal {-code}"
        else:
            status = f"exited with status {code if code is not None else 'unknown'}"
        return Result(job.name, ok=False, error=f"worker {status}: {tail}", log=job.log), alive

    def finish(self) -> None:
        """End of input: the worker returns once its notebook (if any) is done."""
        self.finished = True
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def stop(self, now: bool = False) -> None:
        if self.proc.poll() is None:
            if now:
                self.proc.terminate()
            else:
                self.finish()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self.stderr.close()


def _last_line(path: str | None) -> str:
    if not path or not Path(path).exists():
        return ""
    lines = [l for l in Path(path).read_text(errors="replace").splitlines() if l.strip()]
    return lines[-1] if lines else ""


@contextlib.contextmanager
def _environment(env: dict):
    """os.environ set to `env` for the duration (kernelspec look-up as the worker will do it)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# The preload process imports every library a chapter may need (~2 s of CPU) while a fresh kernel
# imports only what its notebook uses: it pays from about three notebooks per worker on.
PRELOAD_MIN_PER_WORKER = 3


def _writable_config_home(env: dict) -> bool:
    """Whether matplotlib can create its folder under XDG_CONFIG_HOME or HOME/.config."""
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "/nonexistent", ".config")
    try:
        Path(base).mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(base, os.W_OK | os.X_OK)


# One BLAS thread per kernel, unless the caller chose a count. OpenBLAS starts a thread per core
# in every kernel; with two kernels on two cores the idle threads spin-wait and take the CPU from
# the other kernel (measured here: a clean build's CPU time 64 s with the default, 37 s with one
# thread per kernel), and for this report's small matrices a second thread does not make even a
# lone kernel faster. The thread count never changes an output byte: `make numerics` builds with
# one BLAS thread and requires the committed notebooks.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS",)


def blas_threads(env: dict) -> dict:
    """Environment for the kernels' BLAS threads: one, or nothing if `env` sets a count."""
    if any(v in env for v in BLAS_THREAD_VARIABLES):
        return {}
    return {v: "1" for v in BLAS_THREAD_VARIABLES}


class Pool:
    """The processes that execute notebooks: up to `workers` long-lived workers, and with
    `preload_kernels` the one preload process they all fork kernels from (preload.py).

    The preload process starts with the pool, before any job is known (it writes nothing, and
    imports for about two seconds: the caller can validate the data meanwhile); the workers
    start with the first `run`, in `workdir` (their logs, the kernels' runtime folder and specs).
    `jobs` is how many notebooks the pool is for (at most one worker each), `kernels` their
    kernel names. Close it (or use it as a context manager) to stop every process it started.
    """

    def __init__(
        self,
        workdir: Path,
        workers: int = 2,
        jobs: int = 1,
        kernels: tuple[str, ...] = (KERNEL,),
        preload_kernels: bool | None = None,
    ):
        self.workdir = Path(workdir)
        self.size = max(1, min(workers, jobs))
        self.kernels = tuple(sorted(set(kernels)))
        # one private runtime folder per run (connection files, sockets): nothing in HOME or
        # XDG_RUNTIME_DIR needs to exist or be writable, and concurrent builds never share one
        self.runtime = self.workdir / "kernels"
        self.specs = self.workdir / "kernelspecs"  # the kernels' specs, private to this run
        env = {**kernel_environment(), "JUPYTER_RUNTIME_DIR": str(self.runtime)}
        env.update(blas_threads(env))
        # the kernels' share of the cores for their own process pools (the simulations): two kernels
        # each starting two simulation processes on two cores would only take turns
        env.setdefault("HELPERS_MAX_WORKERS", str(max(1, (os.cpu_count() or 1) // self.size)))
        self._spec_env = dict(env)  # where the kernels' own specs are found, to copy them
        with _environment(env):
            argv = {k: kernel_argv(k) for k in self.kernels}  # what the private specs will run
        env["JUPYTER_PATH"] = os.pathsep.join([str(self.specs), env["JUPYTER_PATH"]])
        config_folder = "MPLCONFIGDIR" not in env and not _writable_config_home(env)
        if config_folder:
            # matplotlib would print a warning about its config folder into the notebook's output
            env["MPLCONFIGDIR"] = str(self.workdir / "matplotlib")
        self.env = env
        shared = preload.SHARING and not config_folder  # matplotlib creates its folder on import
        if preload_kernels is None:  # a shared preload process is paid for already
            preload_kernels = shared or jobs >= PRELOAD_MIN_PER_WORKER * max(1, workers)
        self.preload = bool(preload_kernels) and preload.enabled() and KERNEL in argv
        self.server: preload.ForkServer | None = None
        self._owns_server = not shared
        self._argv = argv.get(KERNEL)
        if self.preload and shared:
            self.server = preload.kept_server(env, self._argv)
        elif self.preload and not config_folder:
            self.server = preload.ForkServer(env, self._argv)
        self.workers: list[_Worker] = []
        self.results: list[Result] = []

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.runtime.mkdir(mode=0o700, exist_ok=True)
        for kernel in self.kernels:
            with _environment(self._spec_env):
                provisioner.write_kernelspec(self.specs, kernel)
        if self.preload and self.server is None:
            self.server = preload.ForkServer(self.env, self._argv, log=self.workdir / "preload.log")

    def run(
        self,
        jobs: list[Job],
        on_start: Callable[[Job], None] | None = None,
        on_end: Callable[[Job, Result], None] | None = None,
        keep_going: bool = False,
    ) -> list[Result]:
        """Run `jobs` in the order given, each on the first idle worker.

        After a failure no new notebook is started (unless keep_going); running ones finish. A
        worker that dies is replaced for the jobs still to run. A worker with nothing left to
        run is told to end at once, so the pool is stopped by the time the last result is in.
        """
        if not jobs:
            return []
        self._prepare()
        jobs = [j if j.runtime else replace(j, runtime=str(self.runtime)) for j in jobs]
        pending = list(jobs)
        pool = self.workers
        results: list[Result] = []
        failed = False
        selector = selectors.DefaultSelector()
        try:
            while True:
                while pending and (keep_going or not failed):
                    idle = next((w for w in pool if w.job is None and not w.finished), None)
                    if idle is None and len(pool) < max(1, min(self.size, len(jobs))):
                        idle = _Worker(self.env, self.workdir / f"worker-{len(pool) + 1}.log", self.server)
                        pool.append(idle)
                    if idle is None:
                        break
                    job = pending.pop(0)
                    job_file = self.workdir / f"{job.name}.job.json"
                    result_file = self.workdir / f"{job.name}.result.json"
                    job_file.write_text(json.dumps(asdict(job), indent=1))
                    result_file.unlink(missing_ok=True)
                    idle.give(job, job_file, result_file)
                    selector.register(idle.proc.stdout, selectors.EVENT_READ, idle)
                    if on_start:
                        on_start(job)
                if not pending or (failed and not keep_going):
                    for w in pool:
                        if w.job is None:
                            w.finish()  # it ends while the others still run
                if not any(w.job for w in pool):
                    break
                for key, _ in selector.select():
                    worker: _Worker = key.data
                    selector.unregister(key.fileobj)
                    job = worker.job
                    result, alive = worker.collect()
                    if not alive:
                        worker.stop(now=True)
                        pool.remove(worker)
                    results.append(result)
                    failed = failed or not result.ok
                    if on_end:
                        on_end(job, result)
        except BaseException:
            self.close(now=True)  # interrupted: stop our own workers, whatever they run
            raise
        finally:
            selector.close()
        self.results += results
        return results

    def close(self, now: bool = False) -> None:
        """Stop every worker (busy ones at once with `now`) and the preload process."""
        for w in self.workers:
            if now and w.job is not None:
                w.proc.terminate()
            else:
                w.finish()  # all told first: they end side by side
        for w in self.workers:
            w.stop(now=now and w.job is not None)
        self.workers.clear()
        if self.server is not None and self._owns_server:
            self.server.close()
        self.server = None


def run_all(
    jobs: list[Job],
    workers: int = 2,
    workdir: Path | None = None,
    on_start: Callable[[Job], None] | None = None,
    on_end: Callable[[Job, Result], None] | None = None,
    keep_going: bool = False,
    preload_kernels: bool | None = None,
) -> list[Result]:
    """Run jobs on `workers` long-lived worker processes, in the order given (Pool.run).

    `preload_kernels` (default: when each worker has at least PRELOAD_MIN_PER_WORKER notebooks to
    run, where it pays) forks kernels from a process that has imported the libraries already
    (preload.py; HELPERS_PRELOAD=0 turns it off).
    """
    if not jobs:
        return []
    workdir = Path(workdir) if workdir else Path(jobs[0].output).parent
    with Pool(workdir, workers, len(jobs), tuple(j.kernel for j in jobs), preload_kernels) as pool:
        return pool.run(jobs, on_start, on_end, keep_going)


def failure_message(result: Result, source: str) -> str:
    """`notebooks/02_x.py, cell 7 (line 41): fit = models.logistic(...)` + the exception."""
    where = source
    if result.cell is not None:
        where += f", cell {result.cell}"
        if result.line is not None:
            where += f" (line {result.line})"
        if result.first_line:
            where += f": {result.first_line}"
    lines = [f"FAILED {where}", f"    {result.error or 'unknown error'}"]
    if result.log and result.cell is None:  # no cell raised (the kernel did not start, died, ...)
        lines += [f"    | {l}" for l in _tail(result.log, LOG_TAIL)]
    if result.log:
        lines.append(f"    log: {result.log}")
    return "\n".join(lines)


LOG_TAIL = 10  # lines of a notebook's log shown when it failed outside its cells


def _tail(path: str, n: int) -> list[str]:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [l for l in lines if l.strip()][-n:]


def _exit_after(entry: Callable[[], int]) -> None:
    """Run `entry`, then end the process without the interpreter's teardown of papermill, zmq
    and asyncio (0.3 s, while the build waits for its workers): a worker has written and flushed
    everything it had to say by then, and its kernels are stopped (serve's cleanup)."""
    code = 1
    try:
        code = entry()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _exit_after(main)
    sys.exit(main())
