"""Run chapter notebooks with papermill in warm kernels, each chapter in a process of its own.

Starting an ipykernel and importing pandas, matplotlib and kawaeval takes seconds; a chapter's
cells take a fraction of one. A warm pool starts one "zygote" process that imports all of that
once, then forks it for every chapter: the child becomes a fresh ipykernel on the connection
file jupyter_client wrote, in the chapter's folder, with the environment a fresh kernel would
get. Papermill (through nbclient) runs the chapter in it as usual; whatever a chapter changes
(rcParams, module attributes, the working folder, sys.path, environment variables) dies with
its process. ``KernelPool(warm=False)`` starts one cold kernel per chapter instead, as
``papermill`` does on its own.

The zygote imports nothing a fresh kernel would not import later (ipykernel's own modules,
then ``PRELOAD``, which must neither change global state nor warn on import), sets matplotlib's
backend variable as ipykernel does before importing matplotlib, and a new one starts when the
environment the kernels get changes. Each forked kernel gets the fresh kernel's sys.path,
sys.argv, environment (plus what the imports set there), warning-filter order and a reseeded
numpy. Chapters whose folder could change what those imports find (a ``matplotlibrc``, a
module shadowing an imported one) run in a cold kernel, and so does every chapter when the
zygote cannot start. What still differs from a fresh process: the parent process id, and the
string-hash seed, which forked kernels share (a fresh one draws its own; neither is stable).
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

KERNEL_NAME = "python3"

_log = logging.getLogger(__name__)

# Imported once in the zygote. Only modules a fresh kernel imports anyway belong here: what
# IPKernelApp.initialize() imports, then what every chapter's first cell imports.
KERNEL_MODULES = (
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "sqlite3",
    "tornado.gen",
    "tornado.queues",
    "tornado.platform.asyncio",
)
# Not kawaeval.report.plotting: importing matplotlib_fontja sets rcParams["font.family"], which a
# chapter that never plots must not inherit.
PRELOAD = (
    "pandas",
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "kawaeval.report.presenting",
)

# Variables jupyter_client sets per kernel; they do not change what the zygote imported.
_PER_KERNEL_ENV = ("JPY_PARENT_PID", "JPY_SESSION_NAME", "JPY_INTERRUPT_EVENT")
_MPL_INLINE = "module://matplotlib_inline.backend_inline"


# --- the zygote (runs in its own process; standard library only until it imports PRELOAD) ---


def _zygote_main(request_fd: int, reply_fd: int, preload: list[str]) -> None:
    """Import what kernels need once, then fork a kernel for every request until EOF."""
    try:
        state = _zygote_imports(preload)
    except BaseException as exc:  # tell the pool, which then starts kernels cold
        message = f"{type(exc).__name__}: {exc}"
        os.write(reply_fd, (json.dumps({"error": message}) + "\n").encode())
        os._exit(1)
    _zygote_serve(request_fd, reply_fd, *state)


def _zygote_imports(preload: list[str]) -> tuple:
    """Import ipykernel's and the chapters' modules as a fresh kernel would; what forks need."""
    # As ipykernel_launcher does: the launch folder is not on the path while ipykernel loads.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    base_path = list(sys.path)
    env_before = dict(os.environ)
    import importlib
    import importlib.util

    import ipykernel.kernelapp  # noqa: F401  (the modules a kernel starts with)

    # A fresh kernel imports these with its stderr captured; here their notices (debugpy's
    # frozen-modules warning) would reach the build's terminal.
    stderr = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        for name in KERNEL_MODULES:
            importlib.import_module(name)
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        os.close(devnull)

    # ipykernel sets this before any user code imports matplotlib (IPKernelApp.init_gui_pylab).
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = _MPL_INLINE
    filters_before = list(warnings.filters)
    shown: list[str] = []
    showwarning = warnings.showwarning
    warnings.showwarning = lambda message, category, *_, **__: shown.append(
        f"{category.__name__}: {message}"
    )
    try:
        for name in preload:
            importlib.import_module(name)
    finally:
        warnings.showwarning = showwarning
    if shown:  # a fresh kernel would show it in the chapter that imports the module
        raise ImportWarning(f"importing {', '.join(preload)} warns: {'; '.join(shown)}")
    # A fresh kernel adds these imports' warning filters when a chapter imports them, in
    # front of those ipykernel adds while starting: the forked kernel moves them back there.
    first_old = warnings.filters.index(filters_before[0]) if filters_before else 0
    chapter_filters = (
        [f for f in warnings.filters[:first_old] if f not in filters_before],
        [f for f in warnings.filters[first_old:] if f not in filters_before],
    )
    # What those imports put in the environment (debugpy's PYDEVD_USE_FRAME_EVAL): a fresh
    # kernel has it from importing them; a forked one gets it back after its env is set.
    import_env = {
        k: v for k, v in os.environ.items() if k != "MPLBACKEND" and env_before.get(k) != v
    }
    top_level = sorted(
        {n.partition(".")[0] for n in sys.modules} - set(sys.stdlib_module_names) - {"__main__"}
    )
    launcher = importlib.util.find_spec("ipykernel_launcher").origin  # a fresh kernel's argv[0]
    return base_path, import_env, chapter_filters, top_level, launcher


def _zygote_serve(
    request_fd: int,
    reply_fd: int,
    base_path: list[str],
    import_env: dict[str, str],
    chapter_filters: tuple[list, list],
    top_level: list[str],
    launcher: str,
) -> None:
    """Fork a kernel for every request line; report each kernel's exit; stop at EOF."""

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()

    def reply(message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(reply_fd, data) :]

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            reply({"exited": pid, "status": os.waitstatus_to_exitcode(status)})

    reply({"ready": os.getpid(), "threads": threading.active_count(), "modules": top_level})
    buffer = b""
    while True:
        try:
            ready, _, _ = select.select([request_fd, wake_read], [], [])
        except InterruptedError:
            continue
        if wake_read in ready:
            os.read(wake_read, 4096)
            reap()
        if request_fd not in ready:
            continue
        chunk = os.read(request_fd, 65536)
        if not chunk:  # the pool closed the pipe (or its process died): stop every kernel
            for pid in list(children):
                _kill_group(pid, signal.SIGKILL)
            os._exit(0)
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            if threading.active_count() != 1:
                reply({"error": "the zygote has threads; forking it is not safe"})
                continue
            request["env"].update(import_env)
            request["launcher"] = launcher
            fds = (request_fd, reply_fd, wake_read, wake_write)
            try:
                pid = _fork_kernel(request, base_path, chapter_filters, fds)
            except OSError as exc:  # no memory or processes left for a fork
                reply({"error": f"cannot fork a kernel: {exc}"})
                continue
            children.add(pid)
            reply({"started": pid})


def _fork_kernel(
    request: dict, base_path: list[str], chapter_filters: tuple[list, list], fds: tuple[int, ...]
) -> int:
    """Fork a child that becomes the kernel ``request`` describes, once it leads its session."""
    sync_read, sync_write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(sync_write)
        os.read(sync_read, 1)  # the child is its own session leader (or has died)
        os.close(sync_read)
        return pid
    code = 1
    try:
        os.setsid()
        os.close(sync_read)
        os.close(sync_write)
        code = _become_kernel(request, base_path, chapter_filters, fds)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _become_kernel(
    request: dict, base_path: list[str], chapter_filters: tuple[list, list], fds: tuple[int, ...]
) -> int:
    """In the forked child: look like ``python -m ipykernel_launcher`` just started; run it."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for fd in fds:
        os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[:] = base_path
    sys.argv = [request["launcher"], *request["argv"]]
    if "numpy" in sys.modules:  # a fresh process seeds numpy's global generator afresh
        sys.modules["numpy"].random.seed()
    import atexit

    from ipykernel import kernelapp

    try:
        app = kernelapp.IPKernelApp.instance()
        app.initialize()
        front, back = chapter_filters
        moved = front + back
        warnings.filters[:] = front + [f for f in warnings.filters if f not in moved] + back
        warnings._filters_mutated()
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the kernel may have closed its streams
            pass
    return code


def _kill_group(pid: int, signum: int) -> None:
    """Signal a kernel's process group (it is its session leader), or the process alone."""
    try:
        os.killpg(pid, signum)
    except OSError:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


# --- the pool's side ---


class ZygoteError(RuntimeError):
    """The zygote could not import what kernels need, or stopped; kernels then start cold."""


class _ForkedProcess:
    """A kernel forked by the zygote, with the part of ``subprocess.Popen`` jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._exited = threading.Event()

    def _set_exit(self, code: int) -> None:
        self.returncode = code
        self._exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._exited.wait(timeout):
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class _Zygote:
    """The fork server process, and the thread that reads its replies."""

    def __init__(self, env: dict[str, str], preload: tuple[str, ...]):
        self.env = env
        self._lock = threading.Lock()
        self._request_lock = threading.Lock()
        self._started: list[dict] = []
        self._reply = threading.Condition()
        self.processes: dict[int, _ForkedProcess] = {}
        request_read, self._request = os.pipe()
        self._replies, reply_write = os.pipe()
        code = (
            "from kawaeval.build.engine import _zygote_main; "
            f"_zygote_main({request_read}, {reply_write}, {list(preload)!r})"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(request_read, reply_write),
            start_new_session=True,  # a terminal's Ctrl-C reaches the build, which stops us
        )
        os.close(request_read)
        os.close(reply_write)
        self._reader = threading.Thread(target=self._read, name="kawaeval-zygote", daemon=True)
        self._reader.start()
        self._modules: list[str] | None = None
        self._failure: ZygoteError | None = None

    def ready(self) -> list[str]:
        """Wait until the zygote has imported everything; the top-level modules it holds.

        Raises
        ------
        ZygoteError
            If it could not (it has then stopped).
        """
        with self._lock:
            if self._modules is None and self._failure is None:
                try:
                    self._modules = self._next_reply("ready")["modules"]
                except ZygoteError as exc:
                    self._failure = exc
            if self._failure is not None:
                raise self._failure
            return self._modules

    def _read(self) -> None:
        with os.fdopen(self._replies, "rb") as replies:
            for line in replies:
                message = json.loads(line)
                if "exited" in message:
                    with self._reply:
                        process = self.processes.get(message["exited"])
                    if process is not None:
                        process._set_exit(message["status"])
                    continue
                with self._reply:
                    if "started" in message:  # known before any news of its exit
                        self.processes[message["started"]] = _ForkedProcess(message["started"])
                    self._started.append(message)
                    self._reply.notify_all()
        with self._reply:  # the zygote is gone, and with it every kernel it had
            self._started.append({"error": "the kernel zygote stopped"})
            self._reply.notify_all()
            for process in self.processes.values():
                if process.returncode is None:
                    process._set_exit(-signal.SIGKILL)

    def _next_reply(self, key: str) -> dict:
        with self._reply:
            self._reply.wait_for(lambda: self._started)
            message = self._started.pop(0)
        if key not in message:
            raise ZygoteError(message.get("error", f"unexpected reply from the zygote: {message}"))
        return message

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> _ForkedProcess:
        """A new kernel process running ``ipykernel_launcher argv`` in ``cwd`` with ``env``."""
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n"
        self.ready()
        with self._lock:
            with self._request_lock:
                try:
                    if self._request is None:
                        raise OSError("closed")
                    while request:
                        request = request[os.write(self._request, request) :]
                except OSError as exc:
                    raise ZygoteError("the kernel zygote stopped") from exc
            pid = self._next_reply("started")["started"]
            with self._reply:
                return self.processes[pid]

    def close(self) -> None:
        """Kill every kernel forked so far and the zygote itself."""
        with self._reply:
            processes = list(self.processes.values())
        for process in processes:
            if process.returncode is None:
                _kill_group(process.pid, signal.SIGKILL)
        with self._request_lock:
            if self._request is not None:
                os.close(self._request)  # EOF: the zygote kills what is left and exits
                self._request = None
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        for process in processes:  # the zygote has reaped them all
            process._exited.wait(timeout=5)


def _kernel_env(env: dict[str, str]) -> dict[str, str]:
    """What in a kernel's environment the zygote's imports may have seen."""
    return {k: v for k, v in env.items() if k not in (*_PER_KERNEL_ENV, "PYTHONEXECUTABLE")}


class KernelPool:
    """Runs chapters with papermill in warm, isolated kernels.

    Each chapter gets a kernel process of its own, forked from a process that has imported
    ipykernel, pandas, matplotlib and kawaeval already (``warm=True``), or started cold
    (``warm=False``, what ``papermill`` does on its own). ``size`` is how many chapters may
    run at once; ``execute`` may be called from that many threads.
    """

    def __init__(self, size: int, warm: bool = True):
        if size < 1:
            raise ValueError("a kernel pool needs a size of 1 or more")
        self.size = size
        self.warm = warm
        self._slots = threading.BoundedSemaphore(size)
        # Reentrant: shutdown() may run in a signal handler while this thread holds it.
        self._lock = threading.RLock()
        self._zygotes: list[_Zygote] = []
        self._cold: set[subprocess.Popen] = set()
        self._closed = False
        self._broken = False  # the zygote could not start: fresh kernels from now on
        self._manager_class = None

    def __enter__(self) -> KernelPool:
        if self.warm:
            # Started ahead of need: it imports while the caller does its own work.
            self._zygote(_kernel_env(self._launch_env()), wait=False)
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    @staticmethod
    def _launch_env() -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PYTHONEXECUTABLE", None)
        return env

    def _zygote(self, env: dict[str, str], wait: bool = True) -> _Zygote:
        """The zygote whose imports saw ``env``, started now if there is none.

        Raises
        ------
        ZygoteError
            If ``wait`` and the zygote could not import what kernels need.
        """
        with self._lock:
            self._check_open()
            for zygote in self._zygotes:
                if zygote.env == env and zygote.process.poll() is None:
                    break
            else:
                zygote = _Zygote(env, PRELOAD)
                self._zygotes.append(zygote)
        if self._closed:  # shutdown() ran (from a signal handler) while it was starting
            zygote.close()
            self._check_open()
        if wait:
            zygote.ready()
        return zygote

    def _zygote_failed(self, error: ZygoteError) -> None:
        if not self._broken:
            self._broken = True
            _log.warning("warm kernels unavailable (%s); chapters start fresh kernels", error)

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the kernel pool has been shut down")

    def _warm_safe(self, cwd: Path, zygote: _Zygote) -> bool:
        """False if the folder could change what a fresh kernel's imports find."""
        from importlib.machinery import all_suffixes

        try:
            names = os.listdir(cwd)
        except OSError:
            return False
        if "matplotlibrc" in names:
            return False
        suffixes = all_suffixes()
        modules = set(zygote.ready())
        for name in names:
            stem, dot, rest = name.partition(".")
            if stem not in modules:
                continue
            if not dot or f".{rest}" in suffixes or "." + rest.rpartition(".")[2] in suffixes:
                return False
        return True

    def execute(self, notebook: Path, output: Path, parameters: dict, cwd: Path) -> None:
        """Run ``notebook`` with ``parameters`` in a kernel of its own, in folder ``cwd``.

        Raises
        ------
        papermill.exceptions.PapermillExecutionError
            If a cell fails; ``output`` then holds the notebook up to that cell, with
            papermill's error banner.
        RuntimeError
            If the pool has been shut down.
        """
        import papermill

        self._check_open()
        with self._slots:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                # The kernel's working folder, set per kernel: papermill's own ``cwd`` changes
                # the whole process's folder, which races when chapters run in threads.
                resources={"metadata": {"path": str(cwd)}},
                kernel_name=KERNEL_NAME,
                kernel_manager_class=self._kernel_manager_class(),
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                # the kernel's own log (unencrypted-TCP notice, interrupt at shutdown) is noise
                extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
            )

    def shutdown(self) -> None:
        """Stop every kernel and zygote now; safe to call twice and from any thread."""
        with self._lock:
            self._closed = True
            zygotes, self._zygotes = self._zygotes, []
            cold, self._cold = set(self._cold), set()
        for process in cold:
            if process.poll() is None:
                _kill_group(process.pid, signal.SIGKILL)
        for zygote in zygotes:
            zygote.close()
        for process in cold:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    # --- jupyter_client plumbing ---

    def _launch(self, provisioner, cmd: list[str], kwargs: dict):
        """Start a kernel for ``provisioner``: forked when warm and safe, else as a subprocess."""
        env = kwargs.get("env", self._launch_env())
        cwd = str(kwargs.get("cwd") or os.getcwd())
        launcher = [sys.executable, "-m", "ipykernel_launcher"]
        if self.warm and not self._broken and cmd[:3] == launcher:
            try:
                zygote = self._zygote(_kernel_env(env))
            except ZygoteError as exc:
                self._check_open()
                self._zygote_failed(exc)
            else:
                if self._warm_safe(Path(cwd), zygote):
                    try:
                        kernel_env = {
                            **env,
                            "JPY_PARENT_PID": str(os.getpid()),
                        }  # as jupyter_client
                        return zygote.spawn(cmd[3:], kernel_env, cwd)
                    except ZygoteError:  # it died: this chapter starts cold, the next forks anew
                        self._check_open()
        from jupyter_client.launcher import launch_kernel

        with self._lock:
            self._check_open()
            process = launch_kernel(cmd, **kwargs)
            self._cold = {p for p in self._cold if p.poll() is None} | {process}
        return process

    def _retire(self, process: _ForkedProcess, wait: float) -> None:
        """Kill a kernel that was asked to shut down if it is still running after ``wait`` s."""

        def kill_if_running() -> None:
            if process.returncode is None:
                _kill_group(process.pid, signal.SIGKILL)

        timer = threading.Timer(wait, kill_if_running)
        timer.daemon = True
        timer.start()

    def _kernel_manager_class(self):
        """A jupyter_client kernel manager whose kernels this pool starts and can stop."""
        if self._manager_class is None:
            self._manager_class = _manager_class_for(self)
        return self._manager_class


def _manager_class_for(pool: KernelPool):
    """The kernel manager class papermill's client uses: the pool starts and stops kernels."""
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner
    from jupyter_core.utils import ensure_async
    from traitlets import default

    class PoolProvisioner(LocalProvisioner):
        """LocalProvisioner whose kernel process comes from the pool."""

        async def launch_kernel(self, cmd: list[str], **kwargs):
            kwargs = LocalProvisioner._scrub_kwargs(kwargs)
            self.process = pool._launch(self, cmd, kwargs)
            self.pid = self.pgid = self.process.pid  # every kernel leads its own session
            self.cwd = kwargs.get("cwd", Path.cwd())
            return self.connection_info

    class PoolKernelClient(AsyncKernelClient):
        """A client that does not idle after the kernel's first reply."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            # jupyter_client's own loop, except for the end: it drains IOPub until 0.2 s of
            # silence, which is 0.2 s per chapter; nbclient keeps only the messages that
            # answer its own requests anyway, so 10 ms of silence is enough.
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    reply = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    pass
                else:
                    if reply["msg_type"] == "kernel_info_reply":
                        try:
                            await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                        except Empty:
                            pass
                        else:
                            self._handle_kernel_info_reply(reply)
                            break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.01))
                except Empty:
                    break

    class PoolKernelManager(AsyncKernelManager):
        """AsyncKernelManager with the pool's provisioner."""

        @default("client_factory")
        def _client_factory_default(self):
            return PoolKernelClient if pool.warm else super()._client_factory_default()

        async def _async_pre_start_kernel(self, **kw):
            if self.provisioner is None:
                import uuid

                self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
                self.provisioner = PoolProvisioner(
                    kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
                )
            return await super()._async_pre_start_kernel(**kw)

        async def _async_finish_shutdown(self, waittime=None, pollinterval=0.1, restart=False):
            process = self.provisioner.process if self.provisioner else None
            if isinstance(process, _ForkedProcess) and not restart:
                # The chapter's notebook is complete: let the kernel finish its shutdown
                # (atexit hooks and all) on its own, and kill it if it takes too long.
                pool._retire(process, self.shutdown_wait_time)
                self.provisioner.process = None
                return
            # jupyter_client looks for the kernel's exit every 0.1 s; a chapter waits for it.
            await super()._async_finish_shutdown(waittime, 0.005, restart)

    return PoolKernelManager
