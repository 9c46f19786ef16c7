"""The Pod's entry point: `python3 -m herologic.runner /flow/flow.py`.

Reads the inputs (env HEROLOGIC_INPUTS, a JSON object; or a file named by
HEROLOGIC_INPUTS_FILE), loads the flow file, runs its one `@flow` function and
writes the event stream (PROTOCOL.md) to stdout.

Exit codes: 0 succeeded, 1 the flow raised, 2 usage or load error (bad inputs, no
or several flows, import failed), 143 SIGTERM, 130 SIGINT.

Output handling: the real stdout is dup'ed to a private fd that only events are
written to. fd 1 and fd 2 are then pointed at pipes read by two threads, so anything
written at the fd level (a subprocess, C code, os.write) becomes log lines of the most
recently started open span (level "error" for fd 2). `sys.stdout`/`sys.stderr` are
replaced by streams that log each printed line on the *current* span of the
printing thread or task. Nothing the flow prints can split an event line.

Secrets: before the flow file is even imported, `protect_process()` makes the runner
non-dumpable and moves the secret settings out of the environment (settings.py), because
everything the flow starts runs as the same uid. Non-dumpable makes the kernel refuse
other processes of that uid (without CAP_SYS_PTRACE, which flow Pods drop) ptrace,
`/proc/<runner>/mem`, `/proc/<runner>/fd/*` (the private event fd among them) and
`/proc/<runner>/environ`, which shows the environment the process started with whatever
`os.environ` says later. Children do not inherit the event fd either: it is close-on-exec.
"""
from __future__ import annotations

import importlib.util
import inspect
import io
import os
import select
import signal
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from . import contract, core, limits, settings
from .core import FlowInfo, InputError, Run, Terminated
from .events import Emitter, bound, dumps

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM = 0, 1, 2, 130, 143
PR_SET_DUMPABLE = 4  # <linux/prctl.h>


class LoadError(Exception):
    """The flow file could not be loaded or does not define exactly one flow."""


class _SpanStream(io.TextIOBase):
    """sys.stdout / sys.stderr during a run: each printed line is a log line of the current span."""

    def __init__(self, run: Run, level: str, fd: int) -> None:
        self._run = run
        self._level = level
        self._fd = fd
        self.buffer = _BytesStream(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd  # the capture pipe: a subprocess given sys.stdout inherits it

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        run = self._run
        if text and not run.closed:
            span = core._CURRENT.get()
            if span is None or span._run is not run:
                span = run.root
            run.write_text(span, text, self._level)
        return len(text)

    def flush(self) -> None:
        pass


class _BytesStream(io.RawIOBase):
    """`sys.stdout.buffer` for code that writes bytes."""

    def __init__(self, text: _SpanStream) -> None:
        self._text = text

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)


class OutputCapture:
    """Owns fds 1 and 2 during the run (see the module docstring)."""

    def __init__(self, run: Run, event_fd: int) -> None:
        self.run = run
        self.event_fd = event_fd
        self._threads: List[threading.Thread] = []
        self._read_fds: List[int] = []
        self._saved: Dict[str, Any] = {}
        # a reader reads and logs a chunk while holding this lock, so once sync() holds it
        # and the pipes are empty, every byte written so far has been logged
        self._lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        """Point fd 1/2 at pipes and sys.stdout/err at the span streams."""
        self._saved = {"stdout": sys.stdout, "stderr": sys.stderr, "err_fd": os.dup(2)}
        for fd, level in ((1, "info"), (2, "error")):
            read_end, write_end = os.pipe()
            os.set_blocking(read_end, False)
            os.dup2(write_end, fd)
            os.close(write_end)
            self._read_fds.append(read_end)
            thread = threading.Thread(target=self._pump, args=(read_end, level), name=f"herologic-fd{fd}", daemon=True)
            thread.start()
            self._threads.append(thread)
        sys.stdout = _SpanStream(self.run, "info", 1)
        sys.stderr = _SpanStream(self.run, "error", 2)
        if _pending_bytes(self._read_fds[0]) is not None:
            self.run.sync_output = self.sync

    def _pump(self, fd: int, level: str) -> None:
        run = self.run
        pending = b""
        try:
            while True:
                select.select([fd], [], [], 0.5)
                with self._lock:
                    try:
                        chunk = os.read(fd, 65536)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        break
                    lines = (pending + chunk).split(b"\n")
                    pending = lines.pop()
                    if len(pending) > limits.MAX_STRING_CHARS:
                        lines.append(pending)
                        pending = b""
                    for line in lines:
                        run.log(None, _decode(line), level)
            if pending:
                run.log(None, _decode(pending), level)
        finally:
            os.close(fd)

    def sync(self, timeout: float = 0.2) -> None:
        """Wait (bounded) until what was written to fd 1/2 so far has been logged."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._stopping or not any(_pending_bytes(fd) for fd in self._read_fds):
                    return
            if time.monotonic() > deadline:
                return
            time.sleep(0.0005)

    def stop(self, timeout: float = limits.DRAIN_TIMEOUT_S) -> None:
        """Flush printed partial lines, close the pipes, and read what is left in them (bounded wait).

        Afterwards fd 1 is /dev/null (so nothing can reach the event stream) and fd 2
        the original stderr."""
        if not self._saved:
            return
        self.run.sync_output = None
        self.run.flush_partial()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(self._saved["err_fd"], 2)
        os.close(devnull)
        os.close(self._saved["err_fd"])
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._stopping = True
        sys.stdout = open(os.devnull, "w")
        sys.stderr = self._saved["stderr"]
        self._saved = {}


def _pending_bytes(fd: int) -> Optional[int]:
    """Bytes waiting in a pipe (FIONREAD); None where that cannot be asked."""
    if _ioctl is None:
        return None
    buffer = bytearray(4)
    try:
        _ioctl(fd, _FIONREAD, buffer)
    except OSError:
        return None
    return int.from_bytes(buffer, sys.byteorder)


try:
    from fcntl import ioctl as _ioctl
    from termios import FIONREAD as _FIONREAD
except ImportError:  # not on Unix: spans end without waiting for the pipes
    _ioctl = None  # type: ignore[assignment]
    _FIONREAD = 0


def _decode(line: bytes) -> str:
    from .events import cut_str
    return cut_str(line.decode("utf-8", "replace").rstrip("\r"))


def read_inputs(environ: Dict[str, str]) -> Dict[str, Any]:
    """The run's inputs from HEROLOGIC_INPUTS_FILE or HEROLOGIC_INPUTS (missing: {}), checked for
    shape, depth and size (CONTRACT.md) before and while parsing: bad ones raise InputError."""
    path = environ.get("HEROLOGIC_INPUTS_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as handle:
                text, source = handle.read(), path
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read HEROLOGIC_INPUTS_FILE {path}: {exc}") from None
    else:
        text, source = environ.get("HEROLOGIC_INPUTS", ""), "HEROLOGIC_INPUTS"
    return contract.parse_inputs(text, source)


def load_flow(path: str, name: Optional[str] = None) -> FlowInfo:
    """Import the flow file and return its one @flow (or the one named `name`)."""
    if not os.path.isfile(path):
        raise LoadError(f"flow file {path} does not exist")
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)  # a flow may import modules next to it
    spec = importlib.util.spec_from_file_location("herologic_flow", path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules["herologic_flow"] = module
    spec.loader.exec_module(module)
    flows = []
    for value in vars(module).values():
        info = getattr(value, "__herologic_flow__", None)
        if isinstance(info, FlowInfo) and info.fn.__module__ == module.__name__ and info not in flows:
            flows.append(info)
    if name:
        flows = [info for info in flows if info.name == name]
        if not flows:
            raise LoadError(f"{path} defines no @flow named {name!r}")
    if not flows:
        raise LoadError(f"{path} defines no @flow function")
    if len(flows) > 1:
        raise LoadError(f"{path} defines {len(flows)} @flow functions ({', '.join(i.name for i in flows)}); "
                        "a flow file must define exactly one")
    return flows[0]


def call_flow(info: FlowInfo, arguments: Any) -> Any:
    """Call the flow function (awaiting it on a new event loop when it is async)."""
    result = info.fn(*arguments.args, **arguments.kwargs)
    if inspect.isawaitable(result):
        import asyncio  # only for an async flow: a sync flow's Pod starts without it

        async def wait() -> Any:
            return await result
        result = asyncio.run(wait())
    return result


class Runner:
    """One run of one flow file in this process, from run_start to run_end."""

    def __init__(self, path: str, environ: Optional[Dict[str, str]] = None, event_fd: Optional[int] = None,
                 warnings: Tuple[str, ...] = ()) -> None:
        self.path = path
        self.environ = dict(os.environ if environ is None else environ)
        self.event_fd = os.dup(1) if event_fd is None else event_fd
        os.set_inheritable(self.event_fd, False)  # no process the flow starts may hold the event stream
        self.warnings = warnings  # logged on the root span once it exists
        trace_id = self.environ.get("HEROLOGIC_TRACE_ID", "").lower()
        if len(trace_id) != 32 or not all(c in "0123456789abcdef" for c in trace_id) or not int(trace_id, 16):
            trace_id = core.new_trace_id()
        self.run = Run(Emitter(fd=self.event_fd), trace_id)
        self.capture = OutputCapture(self.run, self.event_fd)
        self.started = time.time()
        self._finish_lock = threading.Lock()
        self._finished = False
        self._finishing = False
        self._signal: Optional[Tuple[int, str]] = None
        try:
            self.grace_s = float(self.environ.get("HEROLOGIC_TERM_GRACE_S") or limits.TERM_GRACE_S)
        except ValueError:
            self.grace_s = limits.TERM_GRACE_S

    # -- signals ---------------------------------------------------------------
    def _on_signal(self, signum: int, frame: Any) -> None:
        if self._signal is not None or self._finishing:
            return
        name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
        self._signal = (EXIT_SIGTERM if signum == signal.SIGTERM else EXIT_SIGINT, name)
        self.run.terminating = True
        threading.Thread(target=self._watchdog, args=(self.grace_s,), name="herologic-watchdog", daemon=True).start()
        self.run.emitter.defer_or_raise(Terminated(f"received {name}"), frame)

    def _watchdog(self, grace: float) -> None:
        """If the flow does not unwind within `grace` seconds, end the run from here and exit."""
        time.sleep(grace)
        code, name = self._signal or (EXIT_SIGTERM, "SIGTERM")
        try:
            exc = Terminated(f"received {name}; the flow did not stop within {grace:g}s")
            self._end_run(exc, "failed", has_output=False, lock_timeout=2.0)
        finally:
            os._exit(code)

    # -- the run -----------------------------------------------------------------
    def execute(self) -> int:
        """Run the flow and return the exit code."""
        core.activate(self.run)
        self.capture.start()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            return self._execute()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            core.activate(None)

    def _execute(self) -> int:
        info: Optional[FlowInfo] = None
        problem: Optional[BaseException] = None
        inputs: Dict[str, Any] = {}
        started = False
        try:
            try:
                info = load_flow(self.path, self.environ.get("HEROLOGIC_FLOW") or None)
            except Terminated:
                raise
            except BaseException as exc:  # an import can raise anything, SystemExit included
                problem = exc
            try:
                inputs = read_inputs(self.environ)
            except InputError as exc:
                problem = problem or exc
            self._run_start(info, inputs)
            self.run.start_root(info.name if info else _stem(self.path))
            started = True
            for warning in self.warnings:
                self.run.log(self.run.root, warning, "warning")
            arguments = None
            if problem is None and info is not None:
                try:
                    arguments = info.bind(inputs)
                except InputError as exc:
                    problem = exc
            if problem is not None or info is None:
                self._finish(problem or LoadError("no flow"), "failed")
                return EXIT_USAGE
            try:
                result = call_flow(info, arguments)
            except SystemExit as exc:
                if exc.code in (None, 0):
                    self._finish(None, "succeeded", output=None)
                    return EXIT_OK
                self._finish(exc, "failed")
                return EXIT_FAILED
            except (Terminated, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._finish(exc, "failed")
                return EXIT_FAILED
            self._finish(None, "succeeded", output=result)
            return EXIT_OK
        except (Terminated, KeyboardInterrupt) as exc:
            code, name = self._signal or (EXIT_SIGINT, "SIGINT")
            if not isinstance(exc, Terminated):
                exc = Terminated(f"received {name}")
            if not started and not self._finishing:
                self._run_start(info, inputs)
                self.run.start_root(info.name if info else _stem(self.path))
            self._finish(exc, "failed", drain_timeout=0.2)
            return code

    def _finish(self, exc: Optional[BaseException], status: str, output: Any = None,
                drain_timeout: float = limits.DRAIN_TIMEOUT_S) -> None:
        """Stop capturing output (signals are ignored from here on), then end the run."""
        self._finishing = True
        self.capture.stop(drain_timeout)
        self._end_run(exc, status, output=output, has_output=exc is None)

    def _run_start(self, info: Optional[FlowInfo], inputs: Dict[str, Any]) -> None:
        fields: Dict[str, Any] = {"trace_id": self.run.trace_id, "flow": info.name if info else None,
                                  "inputs": inputs}
        for key, env in (("play", "HEROLOGIC_PLAY_NAME"), ("namespace", "HEROLOGIC_PLAY_NAMESPACE")):
            if self.environ.get(env):
                fields[key] = self.environ[env]
        fields["python"] = sys.version.split()[0]
        self.run.emit("run_start", **fields)

    def _end_run(self, exc: Optional[BaseException], status: str, output: Any = None, has_output: bool = True,
                 lock_timeout: float = -1) -> None:
        """End the spans still open, the root span, then output/error, dropped and run_end. Once."""
        self._finishing = True
        if not self._finish_lock.acquire(timeout=lock_timeout):
            return
        try:
            if self._finished:
                return
            run = self.run
            leftover = exc if isinstance(exc, Terminated) else RuntimeError("span was still open when the flow ended")
            run.end_open_spans(leftover)
            if run.root is not None:
                run.root.end(exc)
            if exc is None and has_output:
                self._emit_output(output)
            elif exc is not None:
                run.emit("error", error=core.error_info(exc))
            if any(run.dropped().values()):
                run.emit("dropped", **run.dropped())
            run.emit("run_end", status=status, duration_s=round(time.time() - self.started, 6))
            run.closed = True
            run.emitter.close()
            self._finished = True
        finally:
            self._finish_lock.release()

    def _emit_output(self, value: Any) -> None:
        try:
            dumps(value)
        except (TypeError, ValueError) as exc:
            self.run.emit("output", value=repr(value),
                          note=f"the return value ({type(value).__name__}) is not JSON-serialisable ({exc}); repr() shown")
            return
        self.run.emit("output", value=bound(value))


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _usage_error(message: str) -> int:
    run = Run(Emitter(fd=1))
    run.emit("run_start", trace_id=run.trace_id, flow=None, inputs={})
    run.emit("error", error={"type": "UsageError", "message": message, "traceback": ""})
    run.emit("run_end", status="failed", duration_s=0.0)
    return EXIT_USAGE


def main(argv: Optional[List[str]] = None) -> int:
    """`python3 -m herologic.runner FLOW.py`: run one flow as a Play's Pod does; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        return _usage_error("usage: python3 -m herologic.runner FLOW.py (inputs: env HEROLOGIC_INPUTS, a JSON object)")
    warnings = protect_process()
    return Runner(args[0], warnings=warnings).execute()


def protect_process() -> Tuple[str, ...]:
    """Make this process non-dumpable and withhold the secret settings from the environment
    (module docstring); returns warnings for what could not be done."""
    problem = make_undumpable()
    settings.withhold_secrets()
    if problem is None:
        return ()
    return (f"the runner could not make itself non-dumpable ({problem}): processes the flow starts "
            f"can read its environment and open its files through /proc/{os.getpid()}",)


def make_undumpable() -> Optional[str]:
    """prctl(PR_SET_DUMPABLE, 0) through ctypes; None when done, else why not."""
    try:
        import ctypes
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError) as exc:  # no ctypes, or not Linux
        return f"prctl is not available: {exc}"
    if prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        return f"prctl(PR_SET_DUMPABLE) failed: {os.strerror(ctypes.get_errno())}"
    return None


def exit_after_run(code: int) -> None:
    """Exit with `code`; threads the flow left running get DRAIN_TIMEOUT_S, then the process ends anyway."""
    deadline = time.monotonic() + limits.DRAIN_TIMEOUT_S
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread()):
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    exit_after_run(main())
