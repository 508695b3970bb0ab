"""The zygote: one process that imports what kernels need once, then forks a kernel per chapter.

:class:`Zygote` starts it (``python -c``) and talks to it over two pipes: a request line per
kernel (its argv, environment and folder), and replies saying which process was forked and,
later, how it exited. The zygote imports what ``python -m ipykernel_launcher`` imports while it
starts (:data:`KERNEL_MODULES`), then what every chapter imports first (the preload: pandas,
matplotlib, kawaeval's presenting); a forked child then makes itself look like a kernel that
has just started (:func:`_become_kernel`) and runs ipykernel's own ``IPKernelApp``.

What makes a forked child look fresh, and why each is needed:

- its folder, environment, ``sys.path`` and ``sys.argv`` are set to what the new process would
  have had; the environment gets back what the zygote's imports put in it (debugpy sets a
  variable on import), which a fresh kernel would have from importing the same modules;
- ``MPLBACKEND`` is set in the zygote before matplotlib is imported, as ipykernel sets it
  before any chapter imports matplotlib (``IPKernelApp.init_gui_pylab``);
- the warning filters the preload added are moved back in front of those ipykernel adds
  while starting, where a chapter's own imports would have put them (through the public
  ``warnings`` functions);
- numpy's global generator is reseeded, as a new process seeds it (``random`` reseeds itself
  after a fork);
- SIGINT is ignored until ipykernel installs its own handling (it ignores SIGINT between
  cells), so that an interrupted build never makes a half-started kernel print a traceback.

What still differs from a fresh process: the parent process id, the string-hash seed (which
forked kernels share; a fresh one draws its own, and neither is stable), and at the end: a
forked kernel would leave by ``os._exit``, without atexit handlers, but this engine's nbclient
kills every chapter's kernel, forked or fresh, once its cells are done
(``shutdown_kernel="immediate"``), so neither kind runs them. The preload must import without
warnings and without changing state a chapter could see; :func:`_prepare` refuses it
otherwise.

Only the standard library is imported here at module level: the zygote process imports this
module before anything else, and so does the build, which never forks itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import select
import signal
import subprocess
import sys
import threading
import traceback
import warnings
from dataclasses import dataclass

# What IPKernelApp.initialize() imports, imported once in the zygote. Only modules a fresh
# kernel imports anyway belong here.
KERNEL_MODULES = (
    "ipykernel.kernelapp",
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
# What every chapter's first cell imports. Not kawaeval.report.plotting: importing
# matplotlib_fontja sets rcParams["font.family"], which a chapter that never plots must not
# inherit.
PRELOAD = (
    "pandas",
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "kawaeval.report.presenting",
)
MPL_INLINE = "module://matplotlib_inline.backend_inline"
# Variables jupyter_client sets for each kernel: they do not change what the zygote imported.
PER_KERNEL_ENV = ("JPY_PARENT_PID", "JPY_SESSION_NAME", "JPY_INTERRUPT_EVENT")


def kernel_env(env: dict[str, str]) -> dict[str, str]:
    """The part of a kernel's environment the zygote's imports may have seen."""
    return {k: v for k, v in env.items() if k not in (*PER_KERNEL_ENV, "PYTHONEXECUTABLE")}


class ZygoteError(RuntimeError):
    """The zygote could not import what kernels need, or it stopped."""


def fork_unavailable() -> str | None:
    """Why kernels cannot be forked on this platform, or None when they can."""
    if not hasattr(os, "fork"):
        return "this platform has no fork (Windows starts every process afresh)"
    if sys.platform == "darwin":
        return "macOS: forking after pandas and matplotlib are imported is unsafe"
    return None


def start_early(warm: bool) -> Zygote | None:
    """A zygote started now, for a kernel pool to take over later, or None if there will be
    none: its imports then run on another core while this process imports its own."""
    if not warm or fork_unavailable() is not None:
        return None
    return Zygote(kernel_env(dict(os.environ)))


# ---------------------------------------------------------------- in the zygote process


@dataclass(frozen=True)
class _Template:
    """What every forked kernel is made from, found once by :func:`_prepare`."""

    base_path: list[str]  # sys.path of a kernel process, before IPython adds the folder
    import_env: dict[str, str]  # what the imports put in the environment
    front_filters: list  # warning filters the preload put in front of the older ones
    launcher: str  # a fresh kernel's sys.argv[0]
    modules: list[str]  # the top-level modules imported here, by name


def main(request_fd: int, reply_fd: int, preload: list[str]) -> None:
    """The zygote's life: import, say ready (or why not), fork a kernel per request until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build stops us, and its children inherit
    try:
        template = _prepare(preload)
    except BaseException as exc:  # the pool then starts kernels fresh
        _send(reply_fd, {"error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    _serve(request_fd, reply_fd, template)


def _prepare(preload: list[str]) -> _Template:
    """Import ipykernel's and the chapters' modules as a fresh kernel would; what forks need."""
    # As ipykernel_launcher does: the launch folder is not on the path while ipykernel loads.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    base_path = list(sys.path)
    env_before = dict(os.environ)
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

    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = MPL_INLINE
    filters_before = list(warnings.filters)
    shown: list[str] = []
    showwarning = warnings.showwarning  # replaceable, as the warnings module documents
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
    # A fresh kernel adds these imports' filters when a chapter imports them, after ipykernel
    # added its own while starting: the forked kernel puts them back there.
    first_old = warnings.filters.index(filters_before[0]) if filters_before else 0
    front = [f for f in warnings.filters[:first_old] if f not in filters_before]
    if any(f not in filters_before for f in warnings.filters[first_old:]):
        raise RuntimeError(f"importing {', '.join(preload)} appends warning filters")
    with warnings.catch_warnings():
        _put_in_front(front)
        if warnings.filters[: len(front)] != front:  # made some other way than by the API
            raise RuntimeError(f"importing {', '.join(preload)} adds unusual warning filters")
    # What the imports put in the environment (debugpy's PYDEVD_USE_FRAME_EVAL).
    import_env = {
        k: v for k, v in os.environ.items() if k != "MPLBACKEND" and env_before.get(k) != v
    }
    # Standard library ones too: a chapter's imports find the chapter's folder first.
    modules = sorted({n.partition(".")[0] for n in sys.modules} - {"__main__"})
    launcher = importlib.util.find_spec("ipykernel_launcher").origin
    return _Template(base_path, import_env, front, launcher, modules)


def _put_in_front(filters: list) -> None:
    """Move ``filters`` (already in ``warnings.filters``) to its front, in this order, through
    the public warnings functions (adding a filter again moves it)."""
    for action, message, category, module, lineno in reversed(filters):
        if message is None and module is None:
            warnings.simplefilter(action, category, lineno)
        else:
            pattern = "" if message is None else message.pattern
            warnings.filterwarnings(
                action, pattern, category, module.pattern if module else "", lineno
            )


def _send(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def _serve(request_fd: int, reply_fd: int, template: _Template) -> None:
    """Fork a kernel for every request line and report each kernel's exit; stop at EOF."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    children: set[int] = set()
    own_fds = (request_fd, reply_fd, wake_read, wake_write)

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)
            _send(reply_fd, {"exited": pid, "status": os.waitstatus_to_exitcode(status)})

    _send(reply_fd, {"ready": os.getpid(), "modules": template.modules})
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
        if not chunk:  # the build closed the pipe (or died): stop every kernel, then ourselves
            for pid in children:
                kill_group(pid, signal.SIGKILL)
            os._exit(0)
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if threading.active_count() != 1:
                _send(reply_fd, {"error": "the zygote has threads; forking it is not safe"})
                continue
            try:
                pid = _fork_kernel(json.loads(line), template, own_fds)
            except OSError as exc:  # no memory or processes left for a fork
                _send(reply_fd, {"error": f"cannot fork a kernel: {exc}"})
                continue
            children.add(pid)
            _send(reply_fd, {"started": pid})


def _fork_kernel(request: dict, template: _Template, own_fds: tuple[int, ...]) -> int:
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
        os.setsid()  # its own process group, which the build signals as a whole
        os.close(sync_read)
        os.close(sync_write)
        code = _become_kernel(request, template, own_fds)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _become_kernel(request: dict, template: _Template, own_fds: tuple[int, ...]) -> int:
    """In the forked child: look like ``python -m ipykernel_launcher`` just started; run it."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # SIGINT stays ignored until ipykernel's own
    for fd in own_fds:
        os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update({**request["env"], **template.import_env})
    sys.path[:] = template.base_path
    sys.argv = [template.launcher, *request["argv"]]
    if "numpy" in sys.modules:  # a new process seeds numpy's global generator afresh
        sys.modules["numpy"].random.seed()

    # Imported here, in the child, where the zygote has imported it already: the build imports
    # this module too, and never ipykernel.
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    _put_in_front(template.front_filters)  # where a chapter importing them would put them
    app.start()
    return 0


def kill_group(pid: int, signum: int) -> None:
    """Signal a kernel's process group (it leads its own session), or the process alone."""
    try:
        os.killpg(pid, signum)
    except OSError:
        try:
            os.kill(pid, signum)
        except OSError:
            pass


# ---------------------------------------------------------------- in the build


class ForkedKernel:
    """A kernel the zygote forked, with the part of ``subprocess.Popen`` jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.exited = threading.Event()

    def exit_with(self, code: int) -> None:
        self.returncode = code
        self.exited.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self.exited.wait(timeout):
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Zygote:
    """The zygote process, seen from the build: start it, fork kernels from it, stop it.

    ``env`` is the environment its imports see (a new one is needed when kernels are to get
    another); ``spawn`` may be called from several threads.
    """

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] | None = None):
        self.env = env
        self.lock = threading.Lock()  # one request and its reply at a time
        self.replies = threading.Condition()  # guards ``answers`` and ``kernels``
        self.answers: list[dict] = []
        self.stopped = False  # its pipe closed: no answer will come
        self.kernels: dict[int, ForkedKernel] = {}
        self.modules: list[str] | None = None
        self.failure: ZygoteError | None = None
        request_read, self.requests = os.pipe()
        reply_read, reply_write = os.pipe()
        preload = PRELOAD if preload is None else preload  # looked up now: tests replace it
        code = (
            "from kawaeval.build.zygote import main; "
            f"main({request_read}, {reply_write}, {list(preload)!r})"
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
        self.reader = threading.Thread(
            target=self._read, args=(reply_read,), name="kawaeval-zygote", daemon=True
        )
        self.reader.start()

    def ready(self) -> list[str]:
        """Wait until the zygote has imported everything; the top-level modules it holds.

        Raises
        ------
        ZygoteError
            If it could not (it has then stopped).
        """
        with self.lock:
            if self.modules is None and self.failure is None:
                try:
                    self.modules = self._answer("ready")["modules"]
                except ZygoteError as exc:
                    self.failure = exc
            if self.failure is not None:
                raise self.failure
            return self.modules

    def alive(self) -> bool:
        return self.failure is None and self.process.poll() is None

    def spawn(self, argv: list[str], env: dict[str, str], cwd: str) -> ForkedKernel:
        """A new kernel running ``ipykernel_launcher argv`` in ``cwd`` with ``env``.

        Raises
        ------
        ZygoteError
            If the zygote could not import what kernels need, or has stopped.
        """
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n"
        self.ready()
        with self.lock:
            try:
                if self.requests is None:
                    raise OSError("the pipe to the zygote is closed")
                while request:
                    request = request[os.write(self.requests, request) :]
            except OSError as exc:
                raise ZygoteError(f"the kernel zygote stopped ({exc})") from None
            pid = self._answer("started")["started"]
            with self.replies:
                return self.kernels[pid]

    def close(self) -> None:
        """Kill every kernel forked so far, then the zygote itself."""
        with self.replies:
            kernels = list(self.kernels.values())
        for kernel in kernels:
            if kernel.returncode is None:
                kill_group(kernel.pid, signal.SIGKILL)
        requests, self.requests = self.requests, None
        if requests is not None:
            os.close(requests)  # EOF: the zygote kills what is left and exits
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)

    def _read(self, reply_fd: int) -> None:
        """The reader thread: every reply of the zygote, until its pipe closes."""
        with os.fdopen(reply_fd, "rb") as replies:
            for line in replies:
                message = json.loads(line)
                with self.replies:
                    if "exited" in message:
                        kernel = self.kernels.get(message["exited"])
                        if kernel is not None:
                            kernel.exit_with(message["status"])
                        continue
                    if "started" in message:  # known before any news of its exit
                        self.kernels[message["started"]] = ForkedKernel(message["started"])
                    self.answers.append(message)
                    self.replies.notify_all()
        with self.replies:  # the zygote is gone, and every kernel it had with it
            self.stopped = True
            self.replies.notify_all()
            for kernel in self.kernels.values():
                if kernel.returncode is None:
                    kernel.exit_with(-signal.SIGKILL)

    def _answer(self, key: str) -> dict:
        with self.replies:
            self.replies.wait_for(lambda: self.answers or self.stopped)
            message = (
                self.answers.pop(0) if self.answers else {"error": "the kernel zygote stopped"}
            )
        if key not in message:
            raise ZygoteError(message.get("error", f"unexpected reply from the zygote: {message}"))
        return message
