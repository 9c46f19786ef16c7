"""Running a Python script as a subprocess whose spans nest under a "subprocess" span.

Parent side, `run_python(...)`: opens a span of kind "subprocess", starts
`sys.executable` on the script in its own process group with PYTHONPATH holding
this SDK (and any extra directories), and tells the child it is nested through
the environment (HEROLOGIC_NESTED=1, HEROLOGIC_PARENT_SPAN_ID, HEROLOGIC_TRACE_ID).
It reads the child's stdout line by line: event lines are re-emitted through the
run's own emitter (so `seq` stays one gap-free sequence per run) if they touch only
spans the child opened (`_Forwarder`; others are refused and logged), any other line
is a log of the subprocess span and part of the returned stdout; stderr lines
are logs at level "error". A timeout kills the whole process group.

Child side, `activate_nested_child()`: called when `herologic` is imported with
HEROLOGIC_NESTED=1 and no run is active. It activates a run whose emitter writes
marker lines to fd 1 and whose root is the parent's subprocess span (never
started or ended here), so an `instrument()`-ed call in the script becomes an
rpc span under that subprocess span.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Set, Union

from . import core, limits
from .events import MARKER, Emitter, bound, cut_str, fd_writer, is_hex_id

ENV_NESTED = "HEROLOGIC_NESTED"
ENV_PARENT_SPAN = "HEROLOGIC_PARENT_SPAN_ID"
ENV_TRACE = "HEROLOGIC_TRACE_ID"

#: Child events that may be re-emitted, each with the fields it may carry. Run-level
#: events (run_start, output, ...) of a child that runs a whole flow itself would
#: confuse the operator: they are refused like any other event the child may not send.
FORWARDED_FIELDS = {
    "span_start": ("span_id", "parent_id", "name", "kind", "tags"),
    "span_tag": ("span_id", "tags"),
    "span_log": ("span_id", "message", "level"),
    "span_end": ("span_id", "status", "error"),
    "tokens": ("span_id", "input_tokens", "output_tokens", "model"),
}
FORWARDED_TYPES = frozenset(FORWARDED_FIELDS)
#: Per span, at most this many span_log events of a child are forwarded: an honest
#: child's runner sends its head, one marker line and its tail (limits.LOG_*_LINES).
MAX_FORWARDED_LOGS_PER_SPAN = limits.LOG_HEAD_LINES + 1 + limits.LOG_TAIL_LINES
#: Per span, at most this many span_tag events of a child are forwarded.
MAX_FORWARDED_TAGS_PER_SPAN = 256
#: At most this many refused events are logged on the subprocess span; the rest are counted
#: (tag `process.events_refused`).
MAX_REFUSED_LOGS = 20
#: Tags a child may not set on the subprocess span: they would count as its token usage.
_TOKEN_TAG_PREFIX = "gen_ai.usage."
#: How much of stdout / stderr the result keeps (head and tail, like span logs).
MAX_CAPTURE_CHARS = 256 * 1024
#: After the process ends, how long to wait for its pipes (a grandchild may hold them).
PIPE_DRAIN_S = 2.0

_SDK_PARENT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ProcessFailed(Exception):
    """Recorded on the subprocess span when the script exits with a non-zero code."""


class TimeoutExpired(subprocess.TimeoutExpired):
    """Recorded on the subprocess span when the timeout killed the script."""

    def __str__(self) -> str:
        return f"did not finish within {self.timeout:g}s; its process group was killed"


class SubprocessResult:
    """What `run_python` returns.

    `stdout` is the child's non-event output, `stderr` its error output (both
    bounded, head and tail kept), `returncode` its exit code (negative: killed
    by that signal), `timed_out` True when the timeout killed it, and
    `duration_s` the wall time.
    """

    __slots__ = ("returncode", "stdout", "stderr", "timed_out", "duration_s", "span_id")

    def __init__(self, returncode: int, stdout: str, stderr: str, timed_out: bool,
                 duration_s: float, span_id: Optional[str]) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out
        self.duration_s = duration_s
        self.span_id = span_id

    @property
    def ok(self) -> bool:
        """True when the script exited with code 0 in time."""
        return self.returncode == 0 and not self.timed_out

    def __repr__(self) -> str:
        return (f"SubprocessResult(returncode={self.returncode}, timed_out={self.timed_out}, "
                f"stdout={len(self.stdout)} chars, stderr={len(self.stderr)} chars)")


class _Capture:
    """Text kept for the result: the head and the tail, with a note of what was left out."""

    def __init__(self, limit: int = MAX_CAPTURE_CHARS) -> None:
        self._half = limit // 2
        self._head: List[str] = []
        self._head_chars = 0
        self._tail: List[str] = []
        self._tail_chars = 0
        self._dropped = 0

    def add(self, line: str) -> None:
        if self._head_chars + len(line) <= self._half:
            self._head.append(line)
            self._head_chars += len(line)
            return
        self._tail.append(line)
        self._tail_chars += len(line)
        while self._tail_chars > self._half and self._tail:
            self._tail_chars -= len(self._tail.pop(0))
            self._dropped += 1

    def text(self) -> str:
        middle = [f"… {self._dropped} lines dropped …\n"] if self._dropped else []
        return "".join(self._head + middle + self._tail)


class _Forwarder:
    """Re-emits a child's events in the parent run, but only for spans the child opened.

    The child's stdout is hostile input like any other (PROTOCOL.md, "Readers treat the
    stream as hostile"): a child may start spans under the subprocess span or under spans
    it opened itself, and tag, log, count tokens on and end only those (it may also log
    on and tag the subprocess span, as `_RemoteParent` does, minus token tags). Anything
    else is refused: logged on the subprocess span as `[refused event] ...` (the first
    `MAX_REFUSED_LOGS`), counted in the tag `process.events_refused`, never re-emitted.
    """

    def __init__(self, run: Optional[core.Run], span: Any) -> None:
        self.run = run
        self.span = span
        self.parent_id: Optional[str] = getattr(span, "id", None)
        self.opened: Set[str] = set()  # every span the child opened (at most run.max_spans)
        self.open: Set[str] = set()
        self.dropped: Set[str] = set()  # child spans beyond the run's span budget (bounded, below)
        self.dropped_more = 0
        self.logs: Dict[str, int] = {}
        self.tags: Dict[str, int] = {}
        self.events = 0
        self.refused = 0

    def forward(self, text: str) -> bool:
        """Re-emit one event (the JSON after the marker); False when it is not an event."""
        try:
            event = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep; must not kill the reader
            return False
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return False
        run = self.run
        if run is None or run.closed:
            return True
        kind = event["type"]
        reason = self._refusal(kind, event)
        if reason is not None:
            self.refuse(reason, text)
            return True
        span_id = event["span_id"]
        if span_id in self.dropped:
            return True
        if kind == "span_start":
            # Child spans count against the run's span budget like the parent's own.
            if next(run._numbers) > run.max_spans:
                run.dropped_spans += 1
                if len(self.dropped) < run.max_spans:
                    self.dropped.add(span_id)
                else:
                    self.dropped_more += 1  # their later events are refused as unknown spans
                return True
            self.opened.add(span_id)
            self.open.add(span_id)
        elif kind == "span_end":
            self.open.discard(span_id)
        fields = {k: bound(event[k]) for k in FORWARDED_FIELDS[kind] if k in event}
        if kind == "span_tag" and span_id == self.parent_id and isinstance(fields.get("tags"), dict):
            fields["tags"] = {k: v for k, v in fields["tags"].items() if not str(k).startswith(_TOKEN_TAG_PREFIX)}
        run.emitter.emit(kind, fields)
        self.events += 1
        return True

    def _refusal(self, kind: str, event: Dict[str, Any]) -> Optional[str]:
        """Why the child may not send this event, or None when it may."""
        if kind not in FORWARDED_FIELDS:
            return f"child event {kind} is not a span event"
        span_id = event.get("span_id")
        if not is_hex_id(span_id, 16):
            return f"child event {kind} has a span_id that is not 16 lowercase hex digits"
        if span_id in self.dropped:
            return None  # beyond the budget: silently not emitted, like the parent's own
        if kind == "span_start":
            parent = event.get("parent_id")
            if span_id in self.opened or span_id == self.parent_id or (self.run is not None and span_id in self.run.open):
                return f"child span_start reuses the existing span id {span_id}"
            if parent != self.parent_id and parent not in self.opened:
                return f"child span_start {span_id} names a parent it did not open"
            return None
        own = span_id in self.opened
        if span_id == self.parent_id and kind in ("span_log", "span_tag"):
            own = True  # the child's _RemoteParent logs and tags the subprocess span
        if not own:
            return f"child event {kind} names span {span_id}, which the child did not open"
        if kind == "span_end" and span_id not in self.open:
            return f"child span_end for span {span_id}, which already ended"
        counts = self.logs if kind == "span_log" else self.tags if kind == "span_tag" else None
        if counts is not None:
            cap = MAX_FORWARDED_LOGS_PER_SPAN if kind == "span_log" else MAX_FORWARDED_TAGS_PER_SPAN
            counts[span_id] = counts.get(span_id, 0) + 1
            if counts[span_id] > cap:
                return f"child sent more than {cap} {kind} events for span {span_id}"
        return None

    def refuse(self, reason: str, text: str) -> None:
        """Log (the first few) and count an event the child may not send."""
        self.refused += 1
        if self.refused <= MAX_REFUSED_LOGS:
            self.span.log(f"[refused event] {reason}: {cut_str(text, 500)}", level="warning")
        elif self.refused == MAX_REFUSED_LOGS + 1:
            self.span.log("[refused event] more refused events follow; they are counted in process.events_refused",
                          level="warning")

    def end_open_spans(self, reason: str) -> None:
        """End the child spans the child never ended (it was killed or crashed)."""
        run = self.run
        if run is None:
            return
        for span_id in sorted(self.open):
            error = {"type": "ProcessEnded", "message": reason, "traceback": ""}
            run.emitter.emit("span_end", {"span_id": span_id, "status": "error", "error": error})
        self.open.clear()


def _split_marker(line: str) -> List[str]:
    """A line may hold text printed without a newline just before an event: split them."""
    index = line.find(MARKER)
    if index <= 0:
        return [line]
    return [line[:index], line[index:]]


def _read_stdout(stream: Any, forwarder: _Forwarder, span: Any, capture: _Capture,
                 done: threading.Event) -> None:
    for raw in iter(stream.readline, b""):
        if done.is_set():  # the span has ended; only drain the pipe
            continue
        line = raw.decode("utf-8", "replace")
        for part in _split_marker(line):
            if part.startswith(MARKER) and forwarder.forward(part[len(MARKER):].strip()):
                continue
            capture.add(part if part.endswith("\n") else part + "\n")
            span.log(cut_str(part.rstrip("\r\n")))


def _read_stderr(stream: Any, span: Any, capture: _Capture, done: threading.Event) -> None:
    for raw in iter(stream.readline, b""):
        if done.is_set():
            continue
        line = raw.decode("utf-8", "replace")
        capture.add(line if line.endswith("\n") else line + "\n")
        span.log(cut_str(line.rstrip("\r\n")), level="error")


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def _child_env(env: Optional[Dict[str, str]], paths: Sequence[str], span: Any,
               run: Optional[core.Run]) -> Dict[str, str]:
    child = dict(os.environ if env is None else env)
    existing = child.get("PYTHONPATH", "")
    child["PYTHONPATH"] = os.pathsep.join([*paths, _SDK_PARENT_DIR] + ([existing] if existing else []))
    child["PYTHONUNBUFFERED"] = "1"  # keeps printed text in order with the events
    child.setdefault("PYTHONIOENCODING", "utf-8")
    for name in (ENV_NESTED, ENV_PARENT_SPAN, ENV_TRACE):
        child.pop(name, None)
    if run is not None and isinstance(span, core.Span):
        child[ENV_NESTED] = "1"
        child[ENV_PARENT_SPAN] = span.id
        child[ENV_TRACE] = run.trace_id
    return child


def run_python(code_or_path: Union[str, "os.PathLike[str]"], *, timeout: float,
               env: Optional[Dict[str, str]] = None, span_name: str = "execute",
               extra_pythonpath: Sequence[str] = (), args: Sequence[str] = (),
               cwd: Optional[str] = None, tags: Optional[Dict[str, Any]] = None) -> SubprocessResult:
    """Run Python code as a subprocess inside a span of kind "subprocess" named `span_name`.

    `code_or_path` is a path object, a str naming an existing ``*.py`` file, or else
    the source itself (written to a temporary file that is removed afterwards).

    The child runs `sys.executable` with PYTHONPATH = `extra_pythonpath` + this SDK (+ any
    PYTHONPATH of `env`), `env` defaulting to this process's environment. Instrumented calls
    the child makes become spans under this one. After `timeout` seconds the child's whole
    process group is killed and the span ends with a TimeoutExpired error; a non-zero exit
    ends it with a ProcessFailed error. Neither raises: check `result.ok`. Tags:
    `process.exit_code`, `process.pid`, `process.timed_out`, `code.size` (source chars),
    `process.duration_ms`, plus `tags`.
    """
    path = os.fspath(code_or_path)
    if not isinstance(code_or_path, str) and not os.path.isfile(path):
        raise FileNotFoundError(f"run_python: no such script: {path}")
    is_file = not isinstance(code_or_path, str) or (
        "\n" not in path and path.endswith(".py") and os.path.isfile(path))
    workdir = None
    if is_file:
        with open(path, encoding="utf-8", errors="replace") as handle:
            size = len(handle.read())
        script = path
    else:
        size = len(path)
        workdir = tempfile.mkdtemp(prefix="herologic-run-")
        script = os.path.join(workdir, "script.py")
        with open(script, "w", encoding="utf-8") as handle:
            handle.write(path)
    span_tags = {"code.size": size, "process.timeout_s": timeout}
    if is_file:
        span_tags["code.filepath"] = path
    span_tags.update(tags or {})
    try:
        with core.StepContext(span_name, "subprocess", span_tags) as span:
            return _run(script, span, timeout, env, extra_pythonpath, args, cwd)
    finally:
        if workdir is not None:
            try:
                os.remove(script)
                os.rmdir(workdir)
            except OSError:
                pass


def _run(script: str, span: Any, timeout: float, env: Optional[Dict[str, str]],
         extra_pythonpath: Sequence[str], args: Sequence[str], cwd: Optional[str]) -> SubprocessResult:
    run = core.active_run()
    argv = [sys.executable, script, *args]
    child_env = _child_env(env, [os.fspath(p) for p in extra_pythonpath], span, run)
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=child_env, cwd=cwd, start_new_session=True)
    span.tag(**{"process.pid": proc.pid, "process.executable.path": sys.executable})
    forwarder = _Forwarder(run if isinstance(span, core.Span) else None, span)
    out, err = _Capture(), _Capture()
    done = threading.Event()
    readers = [
        threading.Thread(target=_read_stdout, args=(proc.stdout, forwarder, span, out, done),
                         name="herologic-subproc-out", daemon=True),
        threading.Thread(target=_read_stderr, args=(proc.stderr, span, err, done),
                         name="herologic-subproc-err", daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        proc.wait()
    except BaseException:  # SIGTERM of the Pod, KeyboardInterrupt: do not leave the child behind
        _kill_group(proc)
        proc.wait()
        raise
    finally:
        deadline = time.monotonic() + PIPE_DRAIN_S
        for reader in readers:
            reader.join(max(0.0, deadline - time.monotonic()))
        if any(reader.is_alive() for reader in readers):
            _kill_group(proc)  # a grandchild holds the pipes open
            for reader in readers:
                reader.join(PIPE_DRAIN_S)
        done.set()
        if not any(reader.is_alive() for reader in readers):
            # A reader still blocked in readline (a grandchild that left the process
            # group holds the pipe) keeps its stream: closing it would block on the
            # stream's lock. The daemon thread drains it until the grandchild exits.
            for stream in (proc.stdout, proc.stderr):
                try:
                    stream.close()
                except (OSError, ValueError):
                    pass
    duration = time.monotonic() - started
    code = proc.returncode
    span.tag(**{"process.exit_code": code, "process.timed_out": timed_out,
                "process.duration_ms": int(duration * 1000), "process.events": forwarder.events,
                "process.events_refused": forwarder.refused})
    result = SubprocessResult(code, out.text(), err.text(), timed_out, duration,
                              span.id if isinstance(span, core.Span) else None)
    if timed_out:
        forwarder.end_open_spans(f"the process group was killed after the {timeout}s timeout")
        span.set_error(TimeoutExpired(argv, timeout))
    else:
        forwarder.end_open_spans(f"the process exited with code {code} before ending this span")
        if code != 0:
            span.set_error(ProcessFailed(_failure_message(code, result.stderr)))
    return result


def _failure_message(code: int, stderr: str) -> str:
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "")
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        text = f"killed by {name}"
    else:
        text = f"exit code {code}"
    return f"{text}: {last}" if last else text


class _RemoteParent(core.Span):
    """The parent process's subprocess span, as the root of a nested child's run.

    It is never started or ended here (the parent does both); logs and tags on it
    are emitted with its id, so they land on the parent's span.
    """

    __slots__ = ()

    def __init__(self, run: core.Run, span_id: str) -> None:  # no super(): nothing to emit
        self._run = run
        self.id = span_id
        self.parent = None
        self.name = "subprocess"
        self.kind = "subprocess"
        self.tags = {}
        self._error = None
        self._ended = False
        self._token = None
        self._owner = None
        self._log = None
        self._live = True

    def end(self, exc: Optional[BaseException] = None) -> None:
        """The parent ends this span, not the child."""


def activate_nested_child() -> bool:
    """In a process started by `run_python`: emit this process's spans as children of the
    parent's subprocess span (marker lines on fd 1). Returns True when it activated."""
    parent_id = os.environ.get(ENV_PARENT_SPAN, "")
    if os.environ.get(ENV_NESTED) != "1" or not parent_id or core.active_run() is not None:
        return False
    emitter = Emitter(fd_writer(1))
    run = core.Run(emitter, trace_id=os.environ.get(ENV_TRACE) or None,
                   max_spans=limits.MAX_SPANS)
    run.root = _RemoteParent(run, parent_id)
    core.activate(run)
    return True


# The package imports this module last: a nested child needs no other setup.
activate_nested_child()
