"""The template nbexec forks warm ipykernel kernels from (docs/sweeps.md, "Warm kernels").

nbexec runs this program in the kernel's own Python (the kernelspec's argv[0] and interpreter
options), as ``python -c "exec(<the source, from the environment>)" CONFIG``: the C++ library
carries the source, so the native CLI needs no Python package to find it. It talks to nbexec over a Unix socket on its stdin,
one JSON object per line each way:

- it imports ipykernel and the modules to preload, checks that forking is safe and says
  ``{"ready": ...}``, or ``{"unsafe": REASON}`` and exits;
- for ``{"op": "fork", "id", "argv", "cwd", "env"}``, sent with the write end of the new
  kernel's stderr pipe as SCM_RIGHTS, it forks a child that becomes
  ``python -m ipykernel_launcher ARGV`` and answers ``{"forked": id, "pid"}``;
- it reaps its children and reports each exit as ``{"exited": pid, "code" | "signal"}``;
- at end of file on the socket, or on SIGTERM, it ends every kernel it forked and exits.

Forking is safe when the template holds nothing a child cannot own: no thread but the main
one, no ZeroMQ context (ipykernel calls ``zmq.Context.instance()``, which must be the child's),
no kernel sockets. The checks run after the imports; a failure is reported, never forked.
"""

import json
import os
import signal
import socket
import sys
import time

_CONTROL_FD = 0


def _send(sock, message):
    data = (json.dumps(message) + "\n").encode()
    while data:
        sent = sock.send(data)
        data = data[sent:]


# What ipykernel's own start imports (the app, the shell, the debugger with debugpy, psutil,
# the in-memory history's sqlite3): a cold kernel imports all of them before it answers, so
# importing them here changes nothing a notebook can see and saves each forked kernel about
# a quarter of a second. Optional: a module missing from this ipykernel is skipped.
_KERNEL_IMPORTS = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.iostream",
    "ipykernel.heartbeat", "ipykernel.parentpoller", "ipykernel.comm", "ipykernel.eventloops",
    "ipykernel.debugger", "IPython.core.completer", "IPython.core.history", "psutil", "sqlite3",
    "pdb",
)
_REQUIRED_IMPORTS = ("ipykernel.kernelapp", "ipykernel.ipkernel")


def _unsafe_reason():
    """Why forking now would not give each child a kernel of its own, or None."""
    import threading

    others = [t.name for t in threading.enumerate() if t is not threading.main_thread()]
    if others:
        return "threads are running in the template after the imports: " + ", ".join(others)
    zmq = sys.modules.get("zmq")
    if zmq is not None and getattr(zmq.Context, "_instance", None) is not None:
        return "a ZeroMQ context exists in the template after the imports"
    return None


def _native_threads():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 0


# What the template's imports changed in os.environ: name to new value, or None if removed.
_ENVIRONMENT_CHANGES = {}


def _prepare(config):
    """Imports ipykernel and the preloads; returns the ready message or the unsafe one."""
    started = time.monotonic()
    environment = dict(os.environ)
    try:
        import importlib
        import importlib.util

        for module in _REQUIRED_IMPORTS:
            importlib.import_module(module)

        launcher = importlib.util.find_spec("ipykernel_launcher")
        launcher_path = launcher.origin if launcher is not None else "ipykernel_launcher"
    except BaseException as error:  # noqa: BLE001 (any failure means: do not fork)
        return {"unsafe": f"ipykernel failed to import: {type(error).__name__}: {error}"}, None
    for module in _KERNEL_IMPORTS:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 (an optional speed-up; the kernel imports it again)
            pass
    for name in config.get("preload", []):
        try:
            importlib.import_module(name)
        except BaseException as error:  # noqa: BLE001
            return {"unsafe": f"preload '{name}' failed to import: "
                              f"{type(error).__name__}: {error}"}, None
    reason = _unsafe_reason()
    if reason is not None:
        return {"unsafe": reason}, None
    for name in set(environment) | set(os.environ):
        if environment.get(name) != os.environ.get(name):
            _ENVIRONMENT_CHANGES[name] = os.environ.get(name)
    ready = {
        "ready": True,
        "pid": os.getpid(),
        "python": sys.version.split()[0],
        "preloaded": list(config.get("preload", [])),
        "import_seconds": round(time.monotonic() - started, 3),
        "native_threads": _native_threads(),
    }
    return ready, launcher_path


def _become_kernel(request, stderr_fd, launcher_path, template_fds):
    """In the forked child: take the place of ``python -m ipykernel_launcher ARGV``."""
    code = 1
    try:
        os.setsid()  # its own process group, so an interrupt or a kill reaches it alone
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # also drops the child's end of the control socket
        os.close(devnull)
        os.dup2(stderr_fd, 1)  # stdout too, as nbexec's launcher does (src/kernel/process.cpp)
        os.dup2(stderr_fd, 2)
        os.close(stderr_fd)
        for fd in template_fds:  # the template's wake-up pipe, other kernels' stderr pipes
            os.close(fd)
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        # The kernel's environment as nbexec computed it, with what the template's imports
        # changed in os.environ (debugpy sets variables when it is imported): a cold kernel
        # makes the same changes while it starts.
        os.environ.clear()
        os.environ.update(request["env"])
        for name, value in _ENVIRONMENT_CHANGES.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if request.get("cwd"):
            os.chdir(request["cwd"])
        # `python -m` puts the working directory first on sys.path where `-c` put "";
        # ipykernel_launcher then takes it off again, as run below.
        if sys.path and sys.path[0] == "" and not sys.flags.safe_path:
            sys.path[0] = os.getcwd()
        sys.argv = [launcher_path] + list(request["argv"])
        # Python's `random` reseeds itself in a forked child; numpy's legacy global
        # RandomState does not, and every kernel would draw the same numbers. A fresh import
        # seeds it from the OS, so does this.
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.seed()
        import runpy

        # What `python -m ipykernel_launcher` runs, as it runs it: the launcher's own code as
        # __main__, with sys.argv[0] its file.
        runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)
        _let_control_finish()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 (reported on the kernel's stderr)
        import traceback

        traceback.print_exc()
        code = 1
    _exit_as_the_interpreter_would(code)


def _let_control_finish():
    """Waits (briefly) for ipykernel's control thread to end after a shutdown_request.

    Its handler stops the control loop and the kernel's main loop together, then flushes
    iopub and publishes "idle". If the main thread reaches the atexit close() first, close()
    stops the iopub thread under that flush, which then waits out its 10 s timeout while
    close() joins the thread: the kernel ignores its shutdown. A started kernel loses this
    race rarely, because the atexit functions of the modules it imported after ipykernel run
    before close(); a forked kernel's preloaded modules registered theirs before it."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "Control" and thread is not threading.current_thread():
            thread.join(2.0)


def _exit_as_the_interpreter_would(code):
    """Ends a forked kernel with what a started kernel's exit does that a notebook can see,
    without the rest of the interpreter's teardown: freeing every module's objects costs a
    kernel with numpy and pandas about 0.15 s of CPU, which a sweep pays per run.

    In the interpreter's order: threads that are not daemons are waited for, the atexit
    functions run (weakref.finalize, tempfile cleanup and logging's shutdown among them), files
    the notebook left open are flushed (Python's own buffers by their objects, C's stdio by
    fflush), then the process exits. Objects' __del__ methods are not called, which Python
    does not promise at exit either."""
    try:
        import atexit
        import threading

        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join()
        atexit._run_exitfuncs()
        import gc
        import io

        for candidate in gc.get_objects():
            if isinstance(candidate, io.IOBase):
                try:
                    if not candidate.closed:
                        candidate.flush()
                except Exception:  # noqa: BLE001 (a file that cannot flush would not at exit either)
                    pass
        import ctypes

        ctypes.CDLL(None).fflush(None)
    finally:
        os._exit(code)


class _Template:
    def __init__(self, sock, launcher_path):
        self.sock = sock
        self.launcher_path = launcher_path
        self.children = set()
        self.buffer = b""
        self.fds = []
        self.stopping = False
        self.wakeup_r, self.wakeup_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wakeup_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    def _on_term(self, *_):
        self.stopping = True

    def reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            exit_note = {"exited": pid}
            if os.WIFSIGNALED(status):
                exit_note["signal"] = os.WTERMSIG(status)
            else:
                exit_note["code"] = os.WEXITSTATUS(status)
            _send(self.sock, exit_note)

    def fork(self, request):
        if not self.fds:
            _send(self.sock, {"fork_failed": request.get("id"), "error": "no stderr pipe"})
            return
        stderr_fd = self.fds.pop(0)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request, stderr_fd, self.launcher_path,
                               [self.wakeup_r, self.wakeup_w] + self.fds)
        os.close(stderr_fd)
        self.children.add(pid)
        _send(self.sock, {"forked": request.get("id"), "pid": pid})

    def serve(self):
        import select

        while not self.stopping:
            try:
                readable, _, _ = select.select([self.sock, self.wakeup_r], [], [])
            except InterruptedError:
                continue
            if self.wakeup_r in readable:
                try:
                    while os.read(self.wakeup_r, 512):
                        pass
                except BlockingIOError:
                    pass
                self.reap()
            if self.sock in readable:
                data, fds, _, _ = socket.recv_fds(self.sock, 65536, 16)
                self.fds.extend(fds)
                if not data:
                    break  # nbexec closed the socket, or died
                self.buffer += data
                while b"\n" in self.buffer:
                    line, self.buffer = self.buffer.split(b"\n", 1)
                    request = json.loads(line)
                    if request.get("op") == "fork":
                        self.fork(request)
        self.end_children()

    def end_children(self):
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + 2.0
        while self.children and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.02)
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        self.reap()


def main():
    config = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    sock = socket.socket(fileno=_CONTROL_FD)
    message, launcher_path = _prepare(config)
    _send(sock, message)
    if launcher_path is None:
        return 3
    _Template(sock, launcher_path).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
