"""Chapters run by papermill, each in its own kernel of this interpreter.

:class:`KernelPool` is the one door to execution: ``building`` asks it to run a chapter and, when
a build is interrupted, to stop every kernel at once. Today each chapter gets a fresh kernel.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

KERNEL_NAME = "python3"


class KernelPool:
    """Runs chapters with papermill; today one fresh kernel per chapter.

    ``size`` is how many chapters may run at once; ``warm`` asks for kernels started ahead of
    need (accepted, not yet used by this implementation).
    """

    def __init__(self, size: int, warm: bool = True):
        self.size = size
        self.warm = warm
        self._lock = threading.Lock()
        self._groups: set[int] = set()  # process groups of the kernels running now
        self._stopped = False

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    def _manager_class(self):
        """A kernel manager class that tells this pool which process group each kernel is."""
        from jupyter_client.manager import AsyncKernelManager

        pool = self

        class TrackedKernelManager(AsyncKernelManager):
            async def _async_launch_kernel(self, kernel_cmd, **kw):
                await super()._async_launch_kernel(kernel_cmd, **kw)
                pool._started(self.provisioner)

            async def _async_cleanup_resources(self, restart=False):
                pool._ended(self.provisioner)
                await super()._async_cleanup_resources(restart=restart)

        return TrackedKernelManager

    def _started(self, provisioner) -> None:
        group = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
        if group is None:
            return
        with self._lock:
            self._groups.add(group)
            stopped = self._stopped
        if stopped:  # started while the pool was being shut down
            _kill_group(group)

    def _ended(self, provisioner) -> None:
        group = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
        with self._lock:
            self._groups.discard(group)

    def execute(self, notebook: Path, output: Path, parameters: dict, cwd: Path) -> None:
        """Run ``notebook`` with ``parameters`` into ``output``, the kernel working in ``cwd``.

        Thread-safe: several chapters may run at once from several threads.

        Raises
        ------
        papermill.exceptions.PapermillExecutionError
            If a cell fails; ``output`` holds the notebook with papermill's error banner.
        """
        import papermill

        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            # The kernel's working folder, set per kernel: papermill's own ``cwd`` changes the
            # whole process's folder, which races when several chapters run in threads.
            resources={"metadata": {"path": str(cwd)}},
            kernel_name=KERNEL_NAME,
            kernel_manager_class=self._manager_class(),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            # the kernel's own log (unencrypted-TCP notice, interrupt at shutdown) is noise here
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )

    def shutdown(self) -> None:
        """Stop every kernel now (SIGKILL to each kernel's process group); idempotent."""
        with self._lock:
            self._stopped = True
            groups = list(self._groups)
            self._groups.clear()
        for group in groups:
            _kill_group(group)


def _kill_group(group: int) -> None:
    try:
        if hasattr(os, "killpg"):
            os.killpg(group, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            os.kill(group, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
