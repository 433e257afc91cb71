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

How: the execution worker starts one ``python -m reportbuild.preload`` (``ForkServer``). Kernels
are launched by the build's kernel provisioner (:mod:`reportbuild.provisioner`, jupyter_client's
documented provisioner interface), which asks the server for a kernel: one JSON line (argv, cwd,
env, log, status file) in, one JSON line (pid) out. The provisioner then manages the child
through ``ForkedProcess``, a ``Popen`` look-alike whose exit status the server writes to the
status file when it reaps the child (the kernel is its child, not the worker's). Anything
unexpected (another kernel command, no server, a failed fork) falls back to the usual launch.
Fork without exec is only safe on Linux: elsewhere, or with ``HELPERS_PRELOAD=0``, kernels
start the usual way.
"""

from __future__ import annotations

import json
import os
import select
import signal
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
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
SERVER_CWD = os.getcwd()
REAP_INTERVAL = 0.05  # seconds: how soon a kernel's exit status is known  # what `python -m reportbuild.preload` put first on sys.path


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
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
    return 0


def serve() -> int:
    """Import LIBRARIES, then fork one kernel per request line on stdin until stdin closes."""
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)  # what ipykernel sets before any import
    import importlib

    for name in LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed: the kernel imports what it needs itself
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    answers.write(json.dumps({"ready": os.getpid()}) + "\n")
    children: dict[int, str] = {}  # pid -> status file
    stdin = sys.stdin.buffer
    try:
        while True:
            ready, _, _ = select.select([stdin], [], [], REAP_INTERVAL)
            _reap(children)
            if not ready:
                continue
            line = stdin.readline()
            if not line:
                break
            request = json.loads(line)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the kernel
                code = 1
                try:
                    answers.close()
                    code = _become_kernel(request)
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                except BaseException:
                    import traceback

                    traceback.print_exc()
                finally:
                    os._exit(code)
            children[pid] = request.get("status") or ""
            answers.write(json.dumps({"pid": pid}) + "\n")
    finally:
        for pid in children:  # the worker has gone: no kernel outlives it
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
        _reap(children)
    return 0


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
    """The preload process, seen from the execution worker.

    `kernel_argv` is the kernelspec's command (`python [-X...] -m ipykernel_launcher -f {file}`):
    the preload process runs on the same interpreter with the same flags, and only kernels whose
    command starts the same way are forked.
    """

    def __init__(self, env: dict | None, kernel_argv: list[str]):
        self.prefix = _launcher_prefix(kernel_argv)
        self.hash_seed = (env or os.environ).get("PYTHONHASHSEED")
        self.log: str | None = None  # where the next kernel writes its stdout and stderr
        self._ready = False
        self.proc = None
        if self.prefix is not None:
            interpreter = self.prefix[:-2]
            self.proc = subprocess.Popen(
                [*interpreter, "-m", "reportbuild.preload"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                text=True,
                bufsize=1,
            )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fork(self, argv: list[str], cwd: str, env: dict, status_file: str) -> int | None:
        """A kernel for `argv` (pid), or None if this kernel cannot be forked. Its exit status
        will be written to `status_file`."""
        if (
            self.proc is None
            or argv[: len(self.prefix)] != self.prefix
            or env.get("PYTHONHASHSEED") != self.hash_seed
            or self.proc.poll() is not None
        ):
            return None
        assert self.proc.stdin is not None and self.proc.stdout is not None
        request = {"args": argv[len(self.prefix) :], "cwd": cwd, "env": env, "log": self.log, "status": status_file}
        try:
            if not self._ready:
                self._ready = "ready" in json.loads(self.proc.stdout.readline() or "{}")
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = json.loads(self.proc.stdout.readline() or "{}")
        except (OSError, ValueError):
            return None
        return answer.get("pid")

    def close(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None and not self._ready:
            self.proc.terminate()  # still importing, and no kernel forked yet: nothing to wait for
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()  # type: ignore[union-attr]
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


SERVER: ForkServer | None = None  # set by the execution worker


if __name__ == "__main__":
    sys.exit(serve())
