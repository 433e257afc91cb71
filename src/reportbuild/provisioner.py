"""The build's kernel provisioner: jupyter_client's documented provisioner interface
(``LocalProvisioner`` subclass, registered under the ``jupyter_client.kernel_provisioners``
entry point in pyproject.toml and chosen by the ``metadata.kernel_provisioner`` of the private
kernelspec that :func:`write_kernelspec` writes for each build).

What it adds to jupyter_client's local provisioner:
- ``launch_kernel``: in an execution worker that runs a preload process (:mod:`reportbuild.preload`),
  the kernel is forked from it instead of started as a new interpreter; otherwise (and whenever
  the fork is refused) the usual launch;
- ``poll``: the kernel's exit status is kept (``LAST_EXIT``), so that a build can say that a
  kernel was killed by a signal or exited with a status, for forked kernels too (their status
  comes from the preload process, whose children they are);
- ``kill`` and ``shutdown_requested``: the kernel's exit is awaited in 5 ms steps (at most
  EXIT_WAIT), so that the kernel manager, which looks every 0.1 s, finds it gone the first time
  it looks: a notebook's kernel ends about 0.1 s sooner, for nbval (which kills it) and for the
  build (which asks it to shut down);
- ``client_class`` (kernelspec ``metadata.kernel_provisioner.config``): the client class the
  kernel manager is to hand out, for a caller that creates its KernelManager without
  configuration (nbval; see reportbuild.kernelclient).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from . import preload

NAME = "reportbuild-preload"  # the entry point's name (pyproject.toml)
LAST_EXIT: int | None = None  # exit status of the last kernel seen to end in this process
KERNEL_PID: int | None = None  # the last kernel launched by this process (forked or not)
RUNNING: set[int] = set()  # process groups of the kernels this process started, until seen to end
EXIT_WAIT = 1.0  # seconds: longer, and the kernel manager's own shutdown steps take over
EXIT_STEP = 0.005


class PreloadProvisioner(LocalProvisioner):
    """Kernels forked from the preload process when one runs, else launched as usual."""

    client_class = Unicode("", config=True, help="the kernel manager's client class (if set)")

    async def pre_launch(self, **kwargs):
        if self.client_class:
            self.parent.client_class = self.client_class
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs):
        global LAST_EXIT, KERNEL_PID
        LAST_EXIT = None
        server = preload.SERVER
        pid = None
        if server is not None:
            env = {**(kwargs.get("env") or os.environ), "JPY_PARENT_PID": str(os.getpid())}  # as the launcher sets it
            status_file = self._status_file()
            pid = server.fork([str(a) for a in cmd], str(kwargs.get("cwd") or os.getcwd()), env, status_file)
        if pid is None:
            info = await super().launch_kernel(cmd, **kwargs)
        else:
            self.process = preload.ForkedProcess(pid, status_file, server)
            self.pid = self.pgid = pid  # the fork called setsid(): it leads its own process group
            self.cwd = kwargs.get("cwd") or Path.cwd()
            info = self.connection_info
        RUNNING.add(self.pgid or self.pid)
        KERNEL_PID = self.pid
        return info

    async def kill(self, restart: bool = False) -> None:
        await super().kill(restart=restart)
        await self._exited(EXIT_WAIT)

    async def shutdown_requested(self, restart: bool = False) -> None:
        await super().shutdown_requested(restart=restart)
        await self._exited(EXIT_WAIT)

    async def _exited(self, within: float) -> None:
        """Return once the kernel has exited, or after `within` seconds."""
        deadline = time.monotonic() + within
        while self.process is not None and await self.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(EXIT_STEP)

    async def poll(self) -> int | None:
        global LAST_EXIT
        process = self.process
        status = await super().poll()
        if process is not None and status is not None:
            LAST_EXIT = status
            RUNNING.discard(self.pgid or self.pid)
        return status

    def _status_file(self) -> str:
        connection_file = getattr(self.parent, "connection_file", "") or ""
        base = (
            Path(connection_file)
            if connection_file
            else Path(os.environ.get("JUPYTER_RUNTIME_DIR", ".")) / f"kernel-{os.getpid()}"
        )
        return str(base.with_suffix(".exit"))


def kill_running() -> None:
    """Kill every kernel this process started that has not been seen to end: a worker that is
    stopped while a kernel is still starting (before papermill can shut it down) leaves none."""
    import signal

    for group in list(RUNNING):
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass
        RUNNING.discard(group)


def exit_description(status: int | None) -> str:
    """'was killed by signal SIGKILL', 'exited with status 3', or '' (still running, or status 0)."""
    import signal

    if status is None or status == 0:
        return ""
    if status < 0:
        try:
            return f"was killed by signal {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


def kernel_argv(kernel: str, spec=None) -> list[str]:
    """The command that starts `kernel`, as jupyter_client will run it from this interpreter."""
    if spec is None:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(kernel)
    argv = list(spec.argv)
    major, minor = sys.version_info[:2]
    if argv and argv[0] in {"python", f"python{major}", f"python{major}.{minor}"}:
        argv[0] = sys.executable
    return argv


def write_kernelspec(folder: Path, kernel: str, env: dict | None = None, client_class: str = "") -> Path:
    """A private copy of `kernel`'s spec that runs on this interpreter and names this
    provisioner (with `env` added to the spec's environment, and the kernel manager told to
    hand out `client_class`, if given); returns the data folder to put first on JUPYTER_PATH."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(kernel)
    argv = kernel_argv(kernel, spec)
    chosen = {"provisioner_name": NAME, **({"config": {"client_class": client_class}} if client_class else {})}
    metadata = {**(spec.metadata or {}), "kernel_provisioner": chosen}
    target = Path(folder) / "kernels" / kernel
    target.mkdir(parents=True, exist_ok=True)
    doc = {
        "argv": argv,
        "display_name": spec.display_name,
        "language": spec.language,
        "env": {**(spec.env or {}), **(env or {})},
        "interrupt_mode": spec.interrupt_mode,
        "metadata": metadata,
    }
    (target / "kernel.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return Path(folder)
