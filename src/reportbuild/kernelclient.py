"""The clients the build and nbval drive their kernels with: jupyter_client's, ready as soon as
the kernel has answered ``kernel_info`` and its IOPub channel has delivered a message.

Why: jupyter_client's ``wait_for_ready`` then goes on reading IOPub until the channel has been
quiet for 0.2 s, so that an interactive client starts without the kernel's start-up messages.
Neither nbclient (papermill's engine) nor nbval needs that flush: each keeps only the IOPub
messages whose parent is the request it is waiting for (nbval asks for ``kernel_info`` once
more and waits for its idle status). Here that wait was 0.2 s of an idle process per notebook.

``ReadyClient`` (asynchronous) is the build's, chosen by the documented
``KernelManager.client_class`` setting (execute.kernel_config); ``BlockingReadyClient`` is
nbval's, which builds its KernelManager without configuration: the kernelspec that
reportbuild.nbval_kernels writes names it, and the provisioner sets it (provisioner.py).
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client import protocol_version_info
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_core.utils import ensure_async, run_sync


class _ReadyWait:
    """The wait, written once for the asynchronous and the blocking client (their channels'
    get_msg and their is_alive are coroutines in one and plain calls in the other)."""

    async def _ready(self, timeout: float | None = None) -> None:
        """Wait until the kernel answers kernel_info and IOPub delivers (the connection check
        of jupyter_client's own wait_for_ready), without the quiet period after it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.kernel_info()
            msg = await self._reply_or_death()  # a dead kernel raises here
            if msg is not None and msg["msg_type"] == "kernel_info_reply":
                try:  # IOPub is connected once it delivers (the kernel's status messages)
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                except Empty:
                    pass  # not yet subscribed: ask again
                else:
                    major = int(msg["content"]["protocol_version"].split(".")[0])
                    if major != protocol_version_info[0]:  # as jupyter_client adapts
                        self.session.adapt_version = major
                    return
            if deadline is not None and time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_or_death(self, wait: float = 1.0, step: float = 0.1) -> dict | None:
        """The next shell message within `wait` seconds, or None; a kernel that has died is
        noticed within `step` seconds (a kernel that cannot start is reported at once, not after
        the whole wait), without asking it for kernel_info more than once a `wait`."""
        end = time.monotonic() + wait
        while True:
            try:
                return await ensure_async(self.shell_channel.get_msg(timeout=step))
            except Empty:
                if not await ensure_async(self.is_alive()):
                    raise RuntimeError("Kernel died before replying to kernel_info") from None
                if time.monotonic() >= end:
                    return None


class ReadyClient(_ReadyWait, AsyncKernelClient):
    async def wait_for_ready(self, timeout: float | None = None) -> None:
        await self._ready(timeout)


class BlockingReadyClient(_ReadyWait, BlockingKernelClient):
    wait_for_ready = run_sync(_ReadyWait._ready)
