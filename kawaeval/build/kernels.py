"""Chapters through papermill, each in a kernel process of its own, forked from a warm zygote.

Starting an ipykernel and importing pandas, matplotlib and kawaeval takes seconds; a chapter's
cells take a fraction of one. So a :class:`KernelPool` starts one zygote process
(:mod:`kawaeval.build.zygote`) that imports all of that once, and every chapter's kernel is a
fork of it: a real ipykernel, started by ipykernel's own ``IPKernelApp`` in the chapter's
folder with the environment a fresh kernel would get. Papermill runs the chapter against it
through nbclient as usual; whatever a chapter changes dies with its process.

How it plugs into Jupyter, all through documented extension points:

- :class:`ZygoteProvisioner`, a jupyter_client kernel provisioner registered under the
  ``jupyter_client.kernel_provisioners`` entry point as ``kawaeval-zygote``, owns the kernel's
  process: it forks it from the pool's zygote (``launch_kernel``), waits for its death when
  killing it, and starts a fresh ``python -m ipykernel_launcher`` as jupyter_client's
  ``LocalProvisioner`` does whenever forking is not possible or not safe;
- the kernel spec names that provisioner (:class:`ZygoteKernelManager`), papermill passes the
  manager class, the pool and nbclient's ``shutdown_kernel="immediate"`` on to nbclient;
- :class:`ReadyClient` tells nbclient the kernel is ready as soon as the kernel's IOPub reports
  idle for a ``kernel_info`` request. jupyter_client's ``wait_for_ready`` ends with 0.2 s of
  IOPub silence, which was 0.2 s of every chapter; the idle status for our own request is
  the same proof that IOPub is connected, and nbclient only reads the messages that answer its
  own requests.

Why a real kernel and not an IPython shell in the forked child, both measured (``make bench``,
benchmarks/RESULTS.md). A shell run in the child, without a kernel or ZeroMQ, costs about a
third of a forked kernel's CPU: 36 ms a chapter against 100 ms in the kernel (60 of them
ipykernel's own start-up: its configuration, its sockets and threads, its shell) and 25 ms in
the build, on a lightly loaded 2-core machine. But it gives a fresh kernel's bytes only by
imitating ipykernel: its display publisher and display hook, its traceback format, the way its
output streams are cut into messages, its ``language_info``, even its class name (pandas
decides how wide a table's text is by looking for "zmq" in the shell's type). A forked kernel
*is* ipykernel, so the published notebooks and pages are papermill's with a fresh kernel, byte
for byte (tests/test_kernels.py compares every chapter), and what a newer ipykernel changes,
chapters get. The price is ``make bench``'s per-chapter goal (40 ms at two chapters at once):
a real kernel's start-up alone is above it.

The same for the rest, least own code first: jupyter_client's ``LocalProvisioner`` does all of
a kernel's life but its launch and the wait at its kill; nbclient's ``shutdown_kernel=
"immediate"`` replaces a hand-made early shutdown; a papermill engine was not needed, since
papermill passes the manager class and nbclient's options through as they are.

Each chapter takes the fast path unless something makes a fork unfaithful or impossible; the
pool then starts a fresh kernel and logs one line saying why (:meth:`KernelPool.fork_kernel`):
no fork on this platform (Windows; macOS, where forking after these imports is unsafe), the
provisioner's entry point not installed, a zygote that could not import what kernels need, or a
chapter folder holding a file that would shadow a module the zygote imported (a
``matplotlibrc``, a ``pandas.py``). ``KernelPool.forked`` and ``KernelPool.fresh`` count the
kernels of each kind.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from contextlib import contextmanager
from importlib.machinery import all_suffixes
from importlib.metadata import entry_points
from pathlib import Path
from queue import Empty

import papermill
import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Type, Unicode, default
from traitlets.config import Config

from kawaeval.build.zygote import (
    ForkedKernel,
    Zygote,
    ZygoteError,
    fork_unavailable,
    kernel_env,
    kill_group,
)

KERNEL_NAME = "python3"
PROVISIONER_NAME = "kawaeval-zygote"
PROVISIONERS = "jupyter_client.kernel_provisioners"  # the entry point group
# How long a killed kernel may take to die before the provisioner stops waiting (seconds).
KILL_WAIT = 5.0
RECONNECT_MS = 10  # how often a client retries connecting to a kernel still starting
# Loggers that chapters of a stopped pool write through: papermill (and nbclient, which logs
# through papermill's), jupyter_client's managers and provisioners (traitlets'), asyncio.
THIRD_PARTY_LOGGERS = ("papermill", "traitlets", "asyncio")

_log = logging.getLogger(__name__)
_pools: weakref.WeakValueDictionary[str, KernelPool] = weakref.WeakValueDictionary()


class PoolClosedError(RuntimeError):
    """The kernel pool has been shut down (the build was interrupted): no kernel starts."""

    def __init__(self):
        super().__init__("the kernel pool has been shut down")


@functools.cache
def _client_context() -> zmq.asyncio.Context:
    """The ZeroMQ context every chapter's client uses (never destroyed: it is the process's)."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)
    return context


@functools.cache
def _ipc_folder() -> Path:
    """This process's folder of kernels' Unix sockets (under the temporary folder; removed at
    exit)."""
    folder = Path(tempfile.mkdtemp(prefix="kawaeval-ipc-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _kill(process: subprocess.Popen) -> None:
    """Kill a fresh kernel and its process group (it leads its own session on POSIX)."""
    if os.name == "posix":
        kill_group(process.pid, signal.SIGKILL)
    else:
        process.kill()


# ---------------------------------------------------------------- the Jupyter side


class ZygoteProvisioner(LocalProvisioner):
    """Starts a chapter's kernel by forking the pool's zygote, else as LocalProvisioner does.

    Registered under the ``jupyter_client.kernel_provisioners`` entry point as
    ``kawaeval-zygote``; ``pool_id`` (configured by :meth:`KernelPool.execute`) names the
    :class:`KernelPool` whose zygote and kernels these are.
    """

    pool_id = Unicode(config=True, help="The KernelPool that owns this kernel.")

    async def launch_kernel(self, cmd: list[str], **kwargs):
        pool = KernelPool.find(self.pool_id)
        forked = pool.fork_kernel(cmd, kwargs["env"], kwargs.get("cwd") or os.getcwd())
        if forked is None:
            connection = await super().launch_kernel(cmd, **kwargs)
            pool.track(self.process)
            return connection
        self.process = forked
        self.pid = self.pgid = forked.pid  # every forked kernel leads its own session
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel's process group and wait for it to die (jupyter_client then finds
        it dead at once, instead of polling for it every 0.1 s)."""
        process = self.process
        await super().kill(restart)
        deadline = time.monotonic() + KILL_WAIT
        while process is not None and process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.002)


class ReadyClient(AsyncKernelClient):
    """AsyncKernelClient that is ready once the kernel's IOPub reports idle for a kernel_info.

    Its sockets come from one context for all chapters, which retries a connection every
    10 ms instead of ZeroMQ's 100 ms: a client connects before its new kernel has bound its
    ports, and would otherwise wait up to 0.1 s for nothing.
    """

    @default("context")
    def _shared_context(self) -> zmq.asyncio.Context:
        return _client_context()

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked: set[str] = set()
        retry = 0.05  # a kernel still binding its sockets misses requests: ask again, less often
        while time.monotonic() < deadline:
            asked.add(self.kernel_info())
            until = min(deadline, time.monotonic() + retry)
            while (left := until - time.monotonic()) > 0:
                try:
                    message = await self.iopub_channel.get_msg(timeout=left)
                except Empty:
                    break
                if (
                    message["msg_type"] == "status"
                    and message["content"].get("execution_state") == "idle"
                    and message["parent_header"].get("msg_id") in asked
                ):
                    return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            retry = min(2 * retry, 1.0)
        raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")


class ZygoteKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernel spec names the zygote provisioner and whose clients
    are :class:`ReadyClient`."""

    client_factory = Type(ReadyClient, klass=AsyncKernelClient, config=True)

    @default("transport")
    def _ipc_where_possible(self) -> str:
        # TCP ports are chosen free, then bound by the kernel: two builds (or test workers)
        # starting kernels at once can take the same one ("Address already in use"). Unix
        # sockets named per kernel cannot collide.
        return "ipc" if os.name == "posix" else "tcp"

    @default("ip")
    def _socket_prefix(self) -> str:
        if self.transport != "ipc":
            return "127.0.0.1"
        # short: a socket's path must fit in 107 bytes; the kernel removes its files at the end
        return str(_ipc_folder() / uuid.uuid4().hex[:16])

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.metadata["kernel_provisioner"] = {"provisioner_name": PROVISIONER_NAME}
        return spec


class _QuietWhenStopped(logging.Filter):
    """Drops what the chapters of a stopped pool log: their kernels were killed on purpose."""

    def __init__(self, pool: KernelPool):
        super().__init__()
        self.pool = pool

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.pool.closed


# ---------------------------------------------------------------- the pool


class KernelPool:
    """Runs chapters with papermill, each in a kernel process of its own.

    ``warm=True`` forks every kernel from a zygote that has imported ipykernel, pandas,
    matplotlib and kawaeval already; ``warm=False`` starts a fresh kernel for each, as
    ``papermill`` does on its own. ``size`` is how many chapters may run at once; ``execute``
    may be called from that many threads, and ``shutdown`` from any thread at any time.
    ``zygote`` is one the caller started earlier (:func:`kawaeval.build.zygote.start_early`),
    which the pool takes over.
    """

    def __init__(self, size: int, warm: bool = True, zygote: Zygote | None = None):
        if size < 1:
            raise ValueError("a kernel pool needs a size of 1 or more")
        self.size = size
        self.warm = warm
        self.id = uuid.uuid4().hex
        self.closed = False
        self.forked = 0  # kernels forked from the zygote
        self.fresh = 0  # kernels started as new processes
        self.slots = threading.BoundedSemaphore(size)
        # Reentrant: shutdown() may run in a signal handler while this thread holds it.
        self.lock = threading.RLock()
        self.zygotes: list[Zygote] = []
        self.processes: set[subprocess.Popen] = set()  # the fresh kernels
        self.said: set[str] = set()  # the reasons for a fresh kernel logged so far
        self.quiet = _QuietWhenStopped(self)
        self.running = 0  # chapters in execute()
        self.registered = bool(entry_points(group=PROVISIONERS, name=PROVISIONER_NAME))
        self.unavailable = self._why_not_warm()
        _pools[self.id] = self
        if zygote is not None:
            if self.unavailable is None and zygote.env == kernel_env(dict(os.environ)):
                self.zygotes.append(zygote)
            else:
                zygote.close()

    @classmethod
    def find(cls, pool_id: str) -> KernelPool:
        """The live pool ``pool_id`` names (a provisioner's ``pool_id``).

        Raises
        ------
        PoolClosedError
            If that pool is gone.
        """
        pool = _pools.get(pool_id)
        if pool is None:
            raise PoolClosedError()
        return pool

    def _why_not_warm(self) -> str | None:
        if not self.registered:
            return (
                f"the kernel provisioner {PROVISIONER_NAME} is not installed, so papermill starts"
                " them (install kawaeval with pip: make install)"
            )
        if not self.warm:
            return "warm kernels were not asked for"
        return fork_unavailable()

    def __enter__(self) -> KernelPool:
        self._quiet(True)
        if self.unavailable is None and not self.zygotes:
            # Started ahead of need: it imports while the caller does its own work.
            self._zygote(kernel_env(dict(os.environ)), wait=False)
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    # ------------------------------------------------------------ running a chapter

    def execute(self, notebook: Path, output: Path, parameters: dict, cwd: Path) -> None:
        """Run ``notebook`` with ``parameters`` in a kernel of its own, in folder ``cwd``.

        Raises
        ------
        papermill.exceptions.PapermillExecutionError
            If a cell fails; ``output`` then holds the notebook up to that cell, with
            papermill's error banner.
        PoolClosedError
            If the pool has been shut down.
        """
        self._check_open()
        engine = {}  # without the provisioner: papermill's own kernels
        if self.registered:
            engine = {
                "kernel_manager_class": ZygoteKernelManager,
                "config": Config({"ZygoteProvisioner": {"pool_id": self.id}}),
                "shutdown_kernel": "immediate",
            }
        else:
            self._say(f"chapters start fresh kernels: {self.unavailable}", logging.WARNING)
            with self.lock:
                self.fresh += 1
        with self.slots, self._running():
            self._check_open()
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                # The kernel's working folder, set per kernel: papermill's own ``cwd`` changes
                # the whole process's folder, which races when chapters run in threads.
                resources={"metadata": {"path": str(cwd)}},
                kernel_name=KERNEL_NAME,
                **engine,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                # the kernel's own log (unencrypted-TCP notice, interrupt at shutdown) is noise
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )

    @contextmanager
    def _running(self):
        """Count a chapter in while it runs; the last to end after a shutdown unmutes logs."""
        with self.lock:
            self.running += 1
        try:
            yield
        finally:
            with self.lock:
                self.running -= 1
                last = self.closed and self.running == 0
            if last:
                self._quiet(False)

    def fork_kernel(self, cmd: list[str], env: dict[str, str], cwd: str) -> ForkedKernel | None:
        """A kernel forked from the zygote for ``cmd`` in ``cwd``, or None (and why, logged
        once) when this one must start as a fresh process.

        Raises
        ------
        PoolClosedError
            If the pool has been shut down.
        """
        self._check_open()
        reason = self.unavailable
        launcher = [sys.executable, "-m", "ipykernel_launcher"]
        if reason is None and cmd[:3] != launcher:
            reason = f"the kernel command is not {' '.join(launcher)}"
        zygote = None
        if reason is None:
            try:
                zygote = self._zygote(kernel_env(env))
                reason = self._shadowed(Path(cwd), zygote.ready())
            except ZygoteError as exc:
                self._check_open()
                reason = self.unavailable = f"the zygote could not start ({exc})"
                self._say(f"chapters start fresh kernels: {reason}", logging.WARNING)
        if reason is None:
            try:
                # JPY_PARENT_PID: what jupyter_client's launcher adds for a kernel it starts.
                kernel = zygote.spawn(cmd[3:], {**env, "JPY_PARENT_PID": str(os.getpid())}, cwd)
            except ZygoteError as exc:  # it died: this chapter starts fresh, the next forks anew
                self._check_open()
                reason = f"the zygote stopped ({exc})"
            else:
                with self.lock:
                    self.forked += 1
                self._say(
                    f"chapters run in kernels forked from a warm zygote (pid {zygote.process.pid})"
                )
                return kernel
        if reason == self.unavailable:
            self._say(f"chapters start fresh kernels: {reason}")
        else:
            self._say(f"a chapter in {cwd} starts a fresh kernel: {reason}")
        with self.lock:
            self.fresh += 1
        return None

    def track(self, process: subprocess.Popen) -> None:
        """Count a fresh kernel in, so that ``shutdown`` stops it too.

        Raises
        ------
        PoolClosedError
            If the pool was shut down while it started (it is killed).
        """
        with self.lock:
            if not self.closed:
                self.processes = {p for p in self.processes if p.poll() is None} | {process}
                return
        _kill(process)
        raise PoolClosedError()

    @staticmethod
    def _shadowed(cwd: Path, modules: list[str]) -> str | None:
        """What in ``cwd`` would change what a fresh kernel's imports find, or None."""
        try:
            names = os.listdir(cwd)
        except OSError as exc:
            return f"its folder cannot be listed ({exc})"
        if "matplotlibrc" in names:
            return "its folder holds a matplotlibrc"
        suffixes = all_suffixes()
        imported = set(modules)
        for name in names:
            stem, dot, rest = name.partition(".")
            if stem not in imported:
                continue
            if not dot or f".{rest}" in suffixes or "." + rest.rpartition(".")[2] in suffixes:
                return f"its folder holds {name}, which would shadow the module {stem}"
        return None

    # ------------------------------------------------------------ the zygote

    def _zygote(self, env: dict[str, str], wait: bool = True) -> Zygote:
        """The zygote whose imports saw ``env``, started now if there is none.

        Raises
        ------
        ZygoteError
            If ``wait`` and the zygote could not import what kernels need.
        """
        with self.lock:
            self._check_open()
            for zygote in self.zygotes:
                if zygote.env == env and zygote.alive():
                    break
            else:
                zygote = Zygote(env)
                self.zygotes.append(zygote)
        if self.closed:  # shutdown() ran (from a signal handler) while it was starting
            zygote.close()
            self._check_open()
        if wait:
            zygote.ready()
        return zygote

    # ------------------------------------------------------------ stopping

    def shutdown(self) -> None:
        """Stop every kernel and zygote now; safe to call twice and from any thread.

        What the chapters still running log about their dying kernels is dropped.
        """
        with self.lock:
            self.closed = True
            zygotes, self.zygotes = self.zygotes, []
            processes, self.processes = set(self.processes), set()
            idle = self.running == 0
        if idle:
            self._quiet(False)
        for process in processes:
            if process.poll() is None:
                _kill(process)
        for zygote in zygotes:
            zygote.close()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def _check_open(self) -> None:
        if self.closed:
            raise PoolClosedError()

    def _quiet(self, on: bool) -> None:
        """Drop (or again pass) what third-party loggers say while the pool is stopped."""
        for name in THIRD_PARTY_LOGGERS:
            if on:
                logging.getLogger(name).addFilter(self.quiet)
            else:
                logging.getLogger(name).removeFilter(self.quiet)

    def _say(self, text: str, level: int = logging.INFO) -> None:
        """Log ``text`` once for this pool: which path chapters take, and why."""
        with self.lock:
            if text in self.said:
                return
            self.said.add(text)
        _log.log(level, text)
