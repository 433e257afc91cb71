"""pytest plugin: nbval's kernels forked from the build's preload process.

    pytest -p reportbuild.nbval_kernels --nbval --nbval-kernel-name python3 notebooks/

Why: nbval starts a fresh kernel for every notebook, and each one spends about 2 s of CPU
starting Python and importing the same libraries before its first cell runs. With this plugin a
session starts one preload process (:mod:`reportbuild.preload`, the build's) while it collects,
and each notebook's kernel is forked from it with those libraries imported, exactly as the build
executed the committed notebooks.

How: a private copy of the ``python3`` kernelspec (this interpreter; the build's provisioner,
:mod:`reportbuild.provisioner`) is put first on JUPYTER_PATH, and the preload process is made
the provisioner's server, only while nbval starts a notebook's kernel. Other tests in the same
session (the build's own, which start kernels too) see neither, unless they ask for it: the
preload process is the session's kept one (``preload.kept_server``), which the build tests'
``shared_preload`` fixture lets their builds fork from too. The kernelspec gives the kernels the
environment the build gives its own (``execute.kernel_environment``: the fixed hash seed among
it), for what the environment does not set already.

What does not change: every notebook still gets a process of its own and imports the project's
helpers itself; ``tests/test_build_preload.py`` checks that a forked kernel gives the same bytes
as a fresh one. ``HELPERS_PRELOAD=0`` (or a platform other than Linux) gives nbval fresh kernels
started through the same kernelspec; plain ``pytest --nbval`` without this plugin is unchanged.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from . import preload, provisioner

KERNEL = "python3"
READY_CLIENT = "reportbuild.kernelclient.BlockingReadyClient"  # no 0.2 s IOPub flush per notebook


class _NbvalKernels:
    """The session's kernelspec folder and preload process (started for the first notebook: a
    pytest-xdist process that runs none starts none)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="nbval-kernels-"))
        # what the build's kernel environment adds to this one (JUPYTER_PATH: set while a kernel starts)
        build = _build_environment()
        added = {k: v for k, v in build.items() if k not in os.environ and k != "JUPYTER_PATH"}
        provisioner.write_kernelspec(self.folder, KERNEL, env=added, client_class=READY_CLIENT)
        self.server: preload.ForkServer | None = None
        self.client: preload.ForkClient | None = None
        self._started = False

    def _start(self) -> None:
        self._started = True
        if not preload.enabled():
            return
        # the environment now, after collection: the libraries the tests imported have set their
        # variables (pandera, scikit-learn do), as they will have for the build tests' builds
        argv, env = provisioner.kernel_argv(KERNEL), _build_environment()
        self.server = preload.kept_server(env, argv)  # the build tests' one too, in this session
        conn = self.server.connect()
        self.client = preload.ForkClient(conn, self.server.pid, argv, env) if conn is not None else None

    @contextmanager
    def active(self):
        """JUPYTER_PATH and the provisioner's server as a notebook's kernel needs them."""
        if not self._started:
            self._start()
        saved_path, saved_server = os.environ.get("JUPYTER_PATH"), preload.SERVER
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(self.folder), *([saved_path] if saved_path else [])])
        preload.SERVER = self.client
        try:
            yield
        finally:
            preload.SERVER = saved_server
            if saved_path is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = saved_path

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        preload.close_kept()
        shutil.rmtree(self.folder, ignore_errors=True)


def _build_environment() -> dict:
    """The environment the build gives its kernels (execute.kernel_environment, one BLAS thread
    unless set, and each kernel its share of the cores: here one pytest-xdist process's share):
    nbval's kernels run the notebooks as the build ran them."""
    from .execute import blas_threads, kernel_environment

    env = kernel_environment()
    env.update(blas_threads(env))
    sessions = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    env.setdefault("HELPERS_MAX_WORKERS", str(max(1, (os.cpu_count() or 1) // sessions)))
    return env


_SESSION: _NbvalKernels | None = None


def pytest_configure(config) -> None:
    global _SESSION
    if getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False):
        _SESSION = _NbvalKernels()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    # nbval starts a notebook's kernel when its first cell is set up (IPyNbFile.setup)
    if _SESSION is None or type(item).__name__ != "IPyNbCell":
        yield
        return
    with _SESSION.active():
        yield


def pytest_unconfigure(config) -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.close()
        _SESSION = None
