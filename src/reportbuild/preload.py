"""Preloaded kernels: each notebook's kernel is forked from a process that has already imported
the libraries every chapter needs, instead of starting a new interpreter that imports them again.

Why: before its first line runs, a fresh kernel spends about 2 s of CPU starting Python and
importing ipykernel, numpy, pandas, scipy, statsmodels, matplotlib and great_tables. Over the
report's nine notebooks that is a third of a build. A fork gives each notebook a process of its
own (own memory, globals, rcParams, random state) in a few milliseconds, with those modules
already in ``sys.modules``.

What is shared, and what is not:
- only third-party libraries are preloaded (``LIBRARIES``); the project's ``helpers`` are not,
  so every notebook imports the current source of its helpers itself;
- the preload process has the environment the kernel would get (``PYTHONHASHSEED`` included,
  which Python reads once at start-up) and sets ``MPLBACKEND`` as ipykernel does before
  matplotlib is imported; the child then takes the kernel's own environment, working directory,
  ``sys.argv`` and ``sys.path[0]`` as ``python -m ipykernel_launcher`` would have them;
- ``tests/test_build_preload.py`` checks that a notebook executed in a forked kernel is
  byte-identical to one executed in a fresh kernel, figures included.

How: the build starts one ``python -m reportbuild.preload`` (``ForkServer``) for all its
execution workers: one set of imports per build, not per worker. Each worker gets a connection of
its own (a socket pair; the other end passed to the server with ``socket.send_fds``), so no path
or port is ever opened to other users. Kernels are launched by the build's kernel provisioner
(:mod:`reportbuild.provisioner`, jupyter_client's documented provisioner interface), which asks
the server for a kernel through the worker's ``ForkClient``: one JSON line (argv, cwd, env, log,
status file) in, one JSON line (pid) out. The provisioner then manages the child through
``ForkedProcess``, a ``Popen`` look-alike whose exit status the server writes to the status file
when it reaps the child (the kernel is its child, not the worker's). Anything unexpected (another
kernel command, no server, a failed fork) falls back to the usual launch. A worker's kernels are
stopped when its connection closes, every kernel when the build closes the server.
Fork without exec is only safe on Linux: elsewhere, or with ``HELPERS_PRELOAD=0``, kernels
start the usual way.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# What a chapter's kernel imports anyway (measured with `python -X importtime`), in import order.
LIBRARIES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "numpy",
    "pandas",
    "scipy.stats",
    "scipy.optimize",
    "statsmodels.genmod.generalized_linear_model",
    "statsmodels.miscmodels.ordinal_model",
    "statsmodels.stats.proportion",
    "matplotlib",
    "matplotlib.pyplot",
    "great_tables",
    "yaml",
    "IPython.display",
    # what ipykernel imports while it starts (its debugger, pdb, the history database): 0.15 s a kernel
    "ipykernel.debugger",
    "IPython.core.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "sqlite3",
    "tornado.platform.asyncio",
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
SERVER_CWD = os.getcwd()
REAP_INTERVAL = 0.05  # seconds: how soon a kernel's exit status is known, at the latest
# (SIGCHLD wakes the server at once: see _child_exits)


def enabled() -> bool:
    return sys.platform.startswith("linux") and os.environ.get("HELPERS_PRELOAD", "1") != "0"


def _launcher_prefix(kernel_argv: list[str]) -> list[str] | None:
    """`[python, *flags, "-m", "ipykernel_launcher"]` of a kernel command, if it is one."""
    argv = [str(a) for a in kernel_argv]
    for i in range(1, len(argv) - 1):
        if argv[i] == "-m":
            return argv[: i + 2] if argv[i + 1] == "ipykernel_launcher" else None
    return None


# --------------------------------------------------------------------------- the preload process


def _reap(children: dict[int, str]) -> None:
    """Collect exited kernels (this process's children) and write each one's exit status
    (negative: the signal that killed it, as Popen.returncode) to its status file."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        path = children.pop(pid, None)
        if path:
            tmp = f"{path}.tmp"
            with open(tmp, "w") as f:
                f.write(str(os.waitstatus_to_exitcode(status)))
            os.replace(tmp, path)  # complete or absent, never half-written


def _child_exits() -> tuple[int, int]:
    """A pipe whose read end becomes readable whenever a child (a kernel) exits: SIGCHLD's
    wake-up fd. The server's select wakes at once and writes the kernel's exit status within
    a millisecond, not up to REAP_INTERVAL later; its provisioner waits for that status."""
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.set_blocking(write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the signal is delivered
    signal.set_wakeup_fd(write)
    return read, write


def _become_kernel(request: dict) -> int:
    """In the forked child: turn into `python -m ipykernel_launcher ARGS` and run it."""
    os.setsid()  # as jupyter_client's launcher does: interrupts go to the kernel's own group
    cwd = request["cwd"]
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    if request.get("log"):
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    from importlib.util import find_spec

    sys.argv = [find_spec("ipykernel_launcher").origin, *request["args"]]
    if sys.path and sys.path[0] in ("", SERVER_CWD):
        del sys.path[0]  # `python -m` puts the cwd first, and ipykernel_launcher takes it out again
    for name in [m for m in sys.modules if m.split(".")[0] in ("helpers", "reportbuild")]:
        del sys.modules[name]  # imported to run this server; a notebook imports its own
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
    return 0


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass


def _stop(pids) -> None:
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass


class _Connections:
    """The workers' connections, each with its buffered reader and the kernels forked for it."""

    def __init__(self) -> None:
        self.readers: dict[socket.socket, object] = {}
        self.kernels: dict[socket.socket, set[int]] = {}

    def add(self, conn: socket.socket, greeting: bytes) -> None:
        try:
            conn.sendall(greeting)
        except OSError:
            conn.close()  # the worker has gone already
            return
        self.readers[conn] = conn.makefile("rb")
        self.kernels[conn] = set()

    def drop(self, conn: socket.socket) -> set[int]:
        self.readers.pop(conn).close()
        conn.close()
        return self.kernels.pop(conn)

    def close_all(self) -> None:
        for conn in list(self.readers):
            self.drop(conn)


def serve(control: socket.socket) -> int:
    """Import LIBRARIES, then serve the connections the build passes on `control` (one per
    worker, as file descriptors): one kernel forked per request line, until `control` closes."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by the build: its kernels too
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # what ipykernel sets before any import
    import importlib

    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed: the kernel imports what it needs itself
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    greeting = (json.dumps({"ready": os.getpid()}) + "\n").encode()
    conns = _Connections()
    children: dict[int, str] = {}  # pid -> status file
    exits, exits_write = _child_exits()
    try:
        while True:
            ready, _, _ = select.select([control, exits, *conns.readers], [], [], REAP_INTERVAL)
            _reap(children)
            for conn in ready:
                if conn is exits:
                    _drain(exits)
                    continue
                if conn is control:
                    msg, fds, _, _ = socket.recv_fds(control, 64, 8)
                    if not msg and not fds:
                        return 0  # the build has finished
                    for fd in fds:
                        conns.add(socket.socket(fileno=fd), greeting)
                    continue
                line = conns.readers[conn].readline()
                if not line:  # the worker has gone: no kernel of its outlives it
                    _stop(pid for pid in conns.drop(conn) if pid in children)
                    continue
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:  # the kernel
                    code = 1
                    try:
                        control.close()
                        os.close(exits)
                        os.close(exits_write)  # (the kernel resets the wake-up fd itself)
                        conns.close_all()  # a worker sees its connection close when the server goes
                        code = _become_kernel(request)
                    except SystemExit as exc:
                        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                    except BaseException:
                        import traceback

                        traceback.print_exc()
                    finally:
                        os._exit(code)
                children[pid] = request.get("status") or ""
                conns.kernels[conn].add(pid)
                try:
                    conn.sendall((json.dumps({"pid": pid}) + "\n").encode())
                except OSError:
                    pass  # the worker has gone: its connection reads empty next
    finally:
        _stop(children)
        _reap(children)


def main() -> int:
    """`python -m reportbuild.preload FD`: serve on the control socket FD. Ends with os._exit:
    the interpreter's teardown of the preloaded libraries takes a second and frees nothing that
    the end of the process does not."""
    code = 1
    try:
        code = serve(socket.socket(fileno=int(sys.argv[1])))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


# --------------------------------------------------------------------------- in the execution worker


class ForkedProcess:
    """The part of `subprocess.Popen` that jupyter_client's LocalProvisioner uses, for a kernel
    forked by the preload process (a child of that process, not of this one): its exit status is
    what the preload process wrote to `status_file` when it reaped the kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, status_file: str, server: ForkServer | None = None):
        self.pid = pid
        self.status_file = status_file
        self.server = server
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = int(Path(self.status_file).read_text())
            except (OSError, ValueError):
                if self.server is not None and not self.server.alive():
                    self.returncode = 1  # the preload process is gone: status unknown, not success
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The preload process, seen from the build: started once, one connection per worker.

    `kernel_argv` is the kernelspec's command (`python [-X...] -m ipykernel_launcher -f {file}`):
    the preload process runs on the same interpreter with the same flags (no process for any
    other kernel command). It starts importing at once, before any worker asks for a kernel.
    """

    def __init__(self, env: dict | None, kernel_argv: list[str], log: Path | None = None):
        self.prefix = _launcher_prefix(kernel_argv)
        self.proc = None
        self.control: socket.socket | None = None
        if self.prefix is not None:
            interpreter = self.prefix[:-2]
            self.control, theirs = socket.socketpair()
            stderr = open(log, "w") if log else None  # its warnings, and a kernel's without a log
            try:
                self.proc = subprocess.Popen(
                    [*interpreter, "-m", "reportbuild.preload", str(theirs.fileno())],
                    stdin=subprocess.DEVNULL,
                    stderr=stderr,
                    env=env,
                    pass_fds=(theirs.fileno(),),
                )
            finally:
                theirs.close()
                if stderr:
                    stderr.close()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def connect(self) -> socket.socket | None:
        """A new connection for a worker (its end; the server gets the other), or None."""
        if self.proc is None or self.proc.poll() is not None:
            return None
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self.control, [b"c"], [theirs.fileno()])
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        return ours

    def close(self) -> None:
        """Stop the server and every kernel it still runs (at once, even while it imports)."""
        if self.proc is None:
            return
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.proc.poll() is None:
            self.proc.terminate()  # it stops its kernels, then exits
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# What no preloaded library reads while the preload process imports (a kernel reads these when
# it starts, and the child takes its own environment): environments that differ only here can
# share one preload process. HELPERS_*: read by the project's helpers, which are never preloaded;
# PYTEST_*: pytest's own. The rest are set by pandera and scikit-learn when a process imports
# them, for libraries nothing here preloads (PySpark, pyarrow, Intel's OpenMP). Any other
# difference gets a preload process of its own: slower, never wrong.
START_ONLY = frozenset(
    {
        "JUPYTER_RUNTIME_DIR",
        "JUPYTER_PATH",
        "PYARROW_IGNORE_TIMEZONE",
        "SPARK_LOCAL_IP",
        "KMP_DUPLICATE_LIB_OK",
        "KMP_INIT_AT_FORK",
    }
)
START_ONLY_PREFIXES = ("HELPERS_", "PYTEST_")


def _read_at_import(name: str) -> bool:
    return name not in START_ONLY and not name.startswith(START_ONLY_PREFIXES)


_KEPT: dict[tuple, ForkServer] = {}  # the shared preload processes (kept_server), by environment
SHARING = False  # whether a build's pool uses kept_server instead of a preload process of its own


def kept_server(env: dict, kernel_argv: list[str]) -> ForkServer:
    """A preload process for kernels of `kernel_argv` under `env`, started on first use and kept
    until `close_kept`: for a process that runs many builds or notebooks (a test session), which
    would otherwise import the libraries again for each. Environments that differ in anything
    but START_ONLY get preload processes of their own."""
    key = (tuple(map(str, kernel_argv)), tuple(sorted((k, v) for k, v in env.items() if _read_at_import(k))))
    server = _KEPT.get(key)
    if server is None or server.proc is None or server.proc.poll() is not None:
        server = _KEPT[key] = ForkServer(env, kernel_argv)
    return server


def close_kept() -> None:
    """Stop every shared preload process (and the kernels they still run)."""
    while _KEPT:
        _KEPT.popitem()[1].close()


class ForkClient:
    """A worker's connection to the preload process (ForkServer.connect): what the provisioner
    asks for kernels. Only kernels whose command starts as the server's does, with the hash seed
    it was started with, are forked."""

    def __init__(self, conn: socket.socket, server_pid: int, kernel_argv: list[str], env: dict | None = None):
        self.conn = conn
        self.pid = server_pid
        self.prefix = _launcher_prefix(kernel_argv)
        self.hash_seed = (env or os.environ).get("PYTHONHASHSEED")
        self.log: str | None = None  # where the next kernel writes its stdout and stderr
        self._reader = conn.makefile("rb")
        self._ready = False
        self._gone = False

    def alive(self) -> bool:
        """Whether the server still holds its end of this connection (it has not exited)."""
        try:
            while not self._gone and select.select([self.conn], [], [], 0)[0]:
                if not self._ready:  # its greeting, unread so far
                    self._ready = "ready" in self._answer()
                    continue
                if not self.conn.recv(1, socket.MSG_PEEK):
                    self._gone = True
                break
        except (OSError, ValueError):  # ValueError: closed here
            self._gone = True
        return not self._gone

    def _answer(self) -> dict:
        line = self._reader.readline()
        if not line:
            self._gone = True
        return json.loads(line or b"{}")

    def fork(self, argv: list[str], cwd: str, env: dict, status_file: str) -> int | None:
        """A kernel for `argv` (pid), or None if this kernel cannot be forked. Its exit status
        will be written to `status_file`."""
        if (
            self.prefix is None
            or argv[: len(self.prefix)] != self.prefix
            or env.get("PYTHONHASHSEED") != self.hash_seed
        ):
            return None
        request = {"args": argv[len(self.prefix) :], "cwd": cwd, "env": env, "log": self.log, "status": status_file}
        try:
            if not self._ready:
                self._ready = "ready" in self._answer()  # the server has imported the libraries
            if not self._ready:
                return None
            self.conn.sendall((json.dumps(request) + "\n").encode())
            return self._answer().get("pid")
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        """The server stops this worker's kernels when the connection closes."""
        self._reader.close()
        self.conn.close()


SERVER: ForkClient | None = None  # set by the execution worker


if __name__ == "__main__":
    main()
