"""A notebook kernel's start and end as nbval and the build see them (reportbuild.provisioner,
reportbuild.kernelclient): nbval's KernelManager, made without configuration, hands out the ready
client the plugin's kernelspec names; a kernel killed (nbval) or asked to shut down (the build)
has ended, its exit status known, when the provisioner's call returns."""

from __future__ import annotations

import shutil
import sys

import pytest
from jupyter_client.manager import KernelManager
from jupyter_core.utils import run_sync

from reportbuild import nbval_kernels
from reportbuild.kernelclient import BlockingReadyClient

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="preloading is Linux-only")


@pytest.fixture
def nbval_kernel(tmp_path, _kept_preload):
    """A kernel started as nbval starts one under the plugin (forked from the session's kept
    preload process), ready, its channels closed again."""
    session = nbval_kernels._NbvalKernels()
    with session.active():
        manager = KernelManager(kernel_name=nbval_kernels.KERNEL)  # as nbval makes it
        manager.start_kernel(cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield manager, client
    finally:
        client.stop_channels()
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
        shutil.rmtree(session.folder, ignore_errors=True)  # (the kept preload process stays)


def test_nbvals_kernel_manager_hands_out_the_ready_client(nbval_kernel):
    manager, client = nbval_kernel
    assert isinstance(client, BlockingReadyClient)
    assert manager.provisioner.pid is not None and manager.is_alive()


def test_a_killed_kernel_has_ended_when_kill_returns(nbval_kernel):
    manager, _ = nbval_kernel
    run_sync(manager.provisioner.kill)()
    assert run_sync(manager.provisioner.poll)() is not None


def test_a_kernel_asked_to_shut_down_has_ended_when_the_request_returns(nbval_kernel):
    manager, _ = nbval_kernel
    manager.request_shutdown()  # the build's (nbclient's) way: the kernel exits by itself
    assert run_sync(manager.provisioner.poll)() == 0
