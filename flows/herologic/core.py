"""Spans, steps and flows: the part of the SDK a flow's code touches on every step.

The current span lives in a ContextVar that each step sets and resets with its
token, so nesting follows the code across asyncio tasks (which copy the context)
and threads (a plain thread starts with an empty context: its spans are children
of the root span; run it with `contextvars.copy_context().run` to nest it under
the current step). Outside a run (no runner active) every span is a no-op and a
`@flow` function is a plain function.
"""
from __future__ import annotations

import collections
import contextvars
import functools
import inspect
import itertools
import os
import random
import sys
import threading
import time
import traceback
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple, TypeVar, Union, overload

from . import contract, limits
from .contract import InputError
from .events import Emitter, bound, counters, cut_str, dumps, json_str

F = TypeVar("F", bound=Callable[..., Any])

_monotonic = time.monotonic
#: A span lasting longer than this waits, when it ends, until the fd 1/2 pipes are read
#: (shorter spans cannot have run a subprocess; the check costs two ioctl calls)
SYNC_AFTER_S = 0.001

_CURRENT: contextvars.ContextVar[Optional["Span"]] = contextvars.ContextVar("herologic_span", default=None)
_run: Optional["Run"] = None
_random = random.Random(os.urandom(16))
_ids: Any = iter(())
_ids_lock = threading.Lock()


def _refill_ids() -> None:
    global _ids
    with _ids_lock:
        text = os.urandom(8 * 512).hex()
        _ids = iter([text[i:i + 16] for i in range(0, len(text), 16) if text[i:i + 16] != "0" * 16])


def _new_id() -> str:
    """A random non-zero 16-hex-digit span id (OpenTelemetry size), from a pre-generated batch."""
    while True:
        try:
            return next(_ids)  # next() on a list iterator is atomic: no two threads get one id
        except StopIteration:
            _refill_ids()


def new_trace_id() -> str:
    """A random non-zero 32-hex-digit trace id."""
    return f"{_random.getrandbits(128) or 1:032x}"


def format_traceparent(trace_id: str, span_id: str) -> str:
    """A W3C Trace Context `traceparent` value naming `span_id` of trace `trace_id` as the parent (sampled)."""
    return f"00-{trace_id}-{span_id}-01"


def parse_traceparent(value: str) -> Tuple[str, str]:
    """(trace id, parent span id) of a W3C `traceparent` value; ValueError naming what is wrong.

    Version 00 has exactly four fields; a later version may add fields after the flags
    (the spec says to read the first four). Ids are lowercase hex and not all zeros."""
    parts = value.strip().split("-")
    if len(parts) < 4 or (parts[0] == "00" and len(parts) != 4):
        raise ValueError(f"traceparent {value!r}: expected 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>")
    version, trace_id, span_id, flags = parts[:4]
    for what, text, digits in (("version", version, 2), ("trace id", trace_id, 32),
                               ("parent id", span_id, 16), ("flags", flags, 2)):
        if len(text) != digits or not _LOWER_HEX.issuperset(text):
            raise ValueError(f"traceparent {value!r}: the {what} must be {digits} lowercase hex digits")
    if version == "ff":
        raise ValueError(f"traceparent {value!r}: version ff is invalid")
    if not int(trace_id, 16) or not int(span_id, 16):
        raise ValueError(f"traceparent {value!r}: an all-zero trace id or parent id is invalid")
    return trace_id, span_id


_LOWER_HEX = frozenset("0123456789abcdef")


def current_traceparent() -> Optional[str]:
    """The `traceparent` that makes the current span the parent of remote work; None outside a run."""
    run = _run
    span = current_span()
    if run is None or isinstance(span, NoopSpan):
        return None
    return format_traceparent(run.trace_id, span.id)


class Terminated(BaseException):
    """Raised in the flow's main thread when the Pod receives SIGTERM."""


_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _strip_sdk_frames(te: traceback.TracebackException, seen: set) -> None:
    if id(te) in seen:
        return
    seen.add(id(te))
    kept = [frame for frame in te.stack if not frame.filename.startswith(_SDK_DIR)]
    if kept:  # an error raised by the SDK itself keeps its frames
        te.stack[:] = kept
    for chained in (te.__cause__, te.__context__):
        if chained is not None:
            _strip_sdk_frames(chained, seen)


def exception_type_name(exc: BaseException) -> str:
    """The exception's type as shown on spans: qualified unless builtin or herologic's own."""
    kind = type(exc)
    if kind is Terminated:
        return "Terminated"
    if kind.__module__ in ("builtins", "__main__") or kind.__module__.startswith("herologic"):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _is_cancellation(exc: BaseException) -> bool:
    """Whether `exc` is asyncio's CancelledError. asyncio is not imported for it: a sync flow's
    Pod never loads it (about 45 ms of CPU at every start), and an exception of its can exist only
    once something has imported it."""
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and isinstance(exc, asyncio.CancelledError)


def error_info(exc: BaseException) -> Dict[str, str]:
    """{type, message, traceback} of an exception, bounded; the SDK's own frames are left out."""
    try:
        te = traceback.TracebackException(type(exc), exc, exc.__traceback__)
        _strip_sdk_frames(te, set())
        text = "".join(te.format())
    except Exception:  # never let error reporting fail the run
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": exception_type_name(exc), "message": cut_str(str(exc)), "traceback": cut_str(text)}


class _LogState:
    """Head/tail bookkeeping of one span's captured log (see limits.LOG_*)."""

    __slots__ = ("head_lines", "head_chars", "head_full", "tail", "tail_chars", "dropped_lines", "dropped_chars")

    def __init__(self) -> None:
        self.head_lines = 0
        self.head_chars = 0
        self.head_full = False
        self.tail: Deque[Tuple[str, str]] = collections.deque()
        self.tail_chars = 0
        self.dropped_lines = 0
        self.dropped_chars = 0


def span_head(name: str, kind: str) -> str:
    """The constant middle of a span_start event: `,"name":...,"kind":...,"tags":`."""
    return ',"name":%s,"kind":%s,"tags":' % (json_str(name), json_str(kind))


class Span:
    """One timed unit of work in a run: a step, an RPC call, an LLM call, the flow itself.

    Create spans with `step(...)`, `llm_span(...)` or `instrument(...)`, not directly.
    `id` is 16 hex digits; `tags` holds the (bounded) tags set so far.
    """

    __slots__ = ("id", "parent", "name", "kind", "tags", "_run", "_live", "_error", "_ended",
                 "_token", "_owner", "_log", "_t0", "__weakref__")

    def __init__(self, run: "Run", name: str, kind: str, parent: Optional["Span"],
                 tags: Dict[str, Any], owner: Any = None, head: Optional[str] = None) -> None:
        self._run = run
        self.id = span_id = _new_id()
        self.parent = parent
        self.name = name
        self.kind = kind
        self.tags = {k: bound(v) for k, v in tags.items()} if tags else {}
        self._error: Optional[Dict[str, str]] = None
        self._ended = False
        self._token: Optional[contextvars.Token] = None
        self._owner = owner
        self._log: Optional[_LogState] = None
        self._t0 = _monotonic()
        self._live = next(run._numbers) <= run.max_spans
        run.open[span_id] = self
        run.active = self
        if self._live:
            parent_json = "null" if parent is None else '"%s"' % parent.id
            run.emitter.emit_raw("span_start", ',"span_id":"%s","parent_id":%s%s%s}' % (
                span_id, parent_json, head or span_head(name, kind), dumps(self.tags) if self.tags else "{}"))
        else:
            run.dropped_spans += 1

    @property
    def parent_id(self) -> Optional[str]:
        """The parent span's id, or None for the root span."""
        return None if self.parent is None else self.parent.id

    @property
    def ended(self) -> bool:
        """True once the span has ended."""
        return self._ended

    @property
    def status(self) -> str:
        """"error" once an error is recorded, else "ok"."""
        return "ok" if self._error is None else "error"

    def log(self, *message: Any, level: str = "info") -> None:
        """Add one line to the span's captured log (arguments joined by spaces, like print)."""
        text = " ".join(m if type(m) is str else str(m) for m in message)
        self._run.log(self, cut_str(text), level)

    def tag(self, key: Optional[str] = None, value: Any = None, /, **tags: Any) -> "Span":
        """Set tags: `span.tag(key, value)` or `span.tag(k1=v1, k2=v2)`. Returns the span."""
        if key is not None:
            tags[key] = value
        if not tags:
            return self
        bounded = {k: bound(v) for k, v in tags.items()}
        self.tags.update(bounded)
        if self._live and not self._ended:
            self._run.emitter.emit("span_tag", {"span_id": self.id, "tags": bounded})
        return self

    def set_error(self, exc: Union[BaseException, str]) -> None:
        """Mark the span as failed with `exc` (an exception or a message); it still ends normally."""
        if isinstance(exc, BaseException):
            self._error = error_info(exc)
        else:
            self._error = {"type": "Error", "message": cut_str(str(exc)), "traceback": ""}

    def end(self, exc: Optional[BaseException] = None) -> None:
        """End the span (idempotent); with `exc` it ends as an error. Steps call this for you."""
        if self._ended:
            return
        run = self._run
        if run.sync_output is not None and _monotonic() - self._t0 > SYNC_AFTER_S:
            run.sync_output()  # what a subprocess wrote to fd 1/2 during the span lands on it
        self._ended = True
        if exc is not None and not isinstance(exc, GeneratorExit):
            if run.terminating and _is_cancellation(exc):
                exc = Terminated("received SIGTERM")
            self._error = error_info(exc)
        if run.partial:
            run.flush_partial(self)
        if self._log is not None and (self._log.tail or self._log.dropped_lines):
            run.flush_tail(self)
        run.open.pop(self.id, None)
        if run.active is self:
            parent = self.parent
            while parent is not None and parent._ended:
                parent = parent.parent
            run.active = parent
        if not self._live:
            return
        error = self._error
        if error is None:
            run.emitter.emit_raw("span_end", f',"span_id":"{self.id}","status":"ok"}}')
            return
        otel = {"exception.type": error["type"], "exception.message": error["message"],
                "exception.stacktrace": error["traceback"]}
        self.tags.update(otel)
        run.emitter.emit("span_tag", {"span_id": self.id, "tags": otel})
        run.emitter.emit("span_end", {"span_id": self.id, "status": "error", "error": error})

    def __repr__(self) -> str:
        return f"<Span {self.kind} {self.name!r} {self.id}>"


class NoopSpan:
    """The span returned outside a run: every method accepts its arguments and does nothing."""

    id = "0" * 16
    parent_id = None
    parent = None
    name = ""
    kind = "noop"
    status = "ok"
    ended = False

    @property
    def tags(self) -> Dict[str, Any]:
        """Always empty."""
        return {}

    def log(self, *message: Any, level: str = "info") -> None:
        """Does nothing."""

    def tag(self, key: Optional[str] = None, value: Any = None, /, **tags: Any) -> "NoopSpan":
        """Does nothing."""
        return self

    def set_error(self, exc: Union[BaseException, str]) -> None:
        """Does nothing."""

    def end(self, exc: Optional[BaseException] = None) -> None:
        """Does nothing."""

    def record_usage(self, input_tokens: int, output_tokens: int, response_model: Optional[str] = None) -> None:
        """Does nothing."""

    def record_prompt(self, messages: Any) -> None:
        """Does nothing."""

    def record_reply(self, text: Any) -> None:
        """Does nothing."""

    def __repr__(self) -> str:
        return "<NoopSpan>"


NOOP_SPAN = NoopSpan()
AnySpan = Union[Span, NoopSpan]


class Run:
    """One flow run in this process: the emitter, the open spans, what the bounds dropped.

    The runner creates one and `activate`s it; tests and the benchmark may do the same
    with an in-memory `write` function.
    """

    def __init__(self, emitter: Emitter, trace_id: Optional[str] = None, max_spans: int = limits.MAX_SPANS) -> None:
        self.emitter = emitter
        self.trace_id = trace_id or new_trace_id()
        self.max_spans = max_spans
        self.root: Optional[Span] = None
        self.active: Optional[Span] = None  # the most recently started open span
        self.open: Dict[str, Span] = {}
        self.partial: Dict[Tuple[Optional[str], str, int], str] = {}  # (span id, level, thread) -> unfinished line
        self.sync_output: Optional[Callable[[], None]] = None  # set by the runner's output capture
        self.pending: List[Tuple[str, str]] = []  # lines printed before the root span exists
        self.terminating = False
        self.closed = False
        self.dropped_spans = 0
        self.dropped_logs = 0
        self.dropped_log_chars = 0
        self._cut_at_start = counters.values_cut
        self._numbers = itertools.count(1)
        self._log_lock = threading.Lock()

    @property
    def values_cut(self) -> int:
        """How many values the bounds cut during this run."""
        return counters.values_cut - self._cut_at_start

    def start_root(self, name: str, tags: Optional[Dict[str, Any]] = None) -> Span:
        """Start the root span (kind "flow") and make it current in this context."""
        root = Span(self, name, "flow", None, tags or {})
        self.root = root
        root._token = _CURRENT.set(root)
        pending, self.pending = self.pending, []
        for text, level in pending:
            self.log(root, text, level)
        return root

    def emit(self, type_: str, **fields: Any) -> None:
        """Emit a run-level event (fields are bounded here)."""
        self.emitter.emit(type_, {k: bound(v) for k, v in fields.items()})

    def log(self, span: Optional[Span], text: str, level: str = "info") -> None:
        """Capture one log line on `span`; None (output captured at the fd level) means the
        most recently started open span, else the root span, or pending before it exists."""
        if self.closed:
            return
        captured = span is None
        if span is None:
            span = self.active or self.root
            if span is None:
                if len(self.pending) < limits.MAX_PENDING_LINES:
                    self.pending.append((text, level))
                else:
                    self._count_dropped(1, len(text))
                return
        if not span._live:
            self._count_dropped(1, len(text))
            return
        with self._log_lock:
            while captured and span._ended and span.parent is not None:
                span = span.parent  # the span ended while its output was in the pipe
            state = span._log
            if state is None:
                state = span._log = _LogState()
            if not state.head_full:
                if state.head_lines < limits.LOG_HEAD_LINES and state.head_chars + len(text) <= limits.LOG_HEAD_CHARS:
                    state.head_lines += 1
                    state.head_chars += len(text)
                    live = True
                else:
                    state.head_full = True
                    live = False
            else:
                live = False
            if not live:
                if span._ended:
                    self._count_dropped(1, len(text))
                    return
                state.tail.append((text, level))
                state.tail_chars += len(text)
                while len(state.tail) > limits.LOG_TAIL_LINES or state.tail_chars > limits.LOG_TAIL_CHARS:
                    old, _ = state.tail.popleft()
                    state.tail_chars -= len(old)
                    state.dropped_lines += 1
                    state.dropped_chars += len(old)
                return
        self.emitter.emit_raw("span_log", f',"span_id":"{span.id}","message":{json_str(text)},"level":{json_str(level)}}}')

    def flush_tail(self, span: Span) -> None:
        """At span end: the "… N lines dropped …" marker, then the buffered tail lines."""
        with self._log_lock:
            state = span._log
            assert state is not None
            tail, state.tail = list(state.tail), collections.deque()
            dropped, chars = state.dropped_lines, state.dropped_chars
            state.tail_chars = state.dropped_lines = state.dropped_chars = 0
        if dropped:
            self._count_dropped(dropped, chars)
            self._emit_log(span, f"… {dropped} lines dropped …", "info")
        for text, level in tail:
            self._emit_log(span, text, level)

    def _emit_log(self, span: Span, text: str, level: str) -> None:
        self.emitter.emit_raw("span_log", f',"span_id":"{span.id}","message":{json_str(text)},"level":{json_str(level)}}}')

    def _count_dropped(self, lines: int, chars: int) -> None:
        self.dropped_logs += lines
        self.dropped_log_chars += chars

    def write_text(self, span: Optional[Span], text: str, level: str) -> None:
        """Capture printed text: complete lines are logged on `span`, the rest waits for its
        newline (per thread, so threads printing at once do not mix their lines)."""
        key = (None if span is None else span.id, level, threading.get_ident())
        buffered = self.partial.pop(key, "")
        if buffered:
            text = buffered + text
        lines = text.split("\n")
        rest = lines.pop()
        for line in lines:
            self.log(span, cut_str(line.rstrip("\r")), level)
        if len(rest) > limits.MAX_STRING_CHARS:
            self.log(span, cut_str(rest), level)
        elif rest:
            self.partial[key] = rest

    def flush_partial(self, span: Optional[Span] = None) -> None:
        """Log the unfinished printed lines of `span` (or of every span when None)."""
        for key in list(self.partial):
            if span is None or key[0] == span.id:
                text = self.partial.pop(key, "")
                target = span if span is not None else self.open.get(key[0]) if key[0] else None
                if text:
                    self.log(target, cut_str(text), key[1])

    def end_open_spans(self, exc: BaseException) -> None:
        """End every open span but the root, newest first, with `exc` (SIGTERM, or left open)."""
        for span in reversed(list(self.open.values())):
            if span is not self.root:
                span.end(exc)

    def dropped(self) -> Dict[str, int]:
        """The counters of the `dropped` event."""
        return {"spans": self.dropped_spans, "logs": self.dropped_logs,
                "log_bytes": self.dropped_log_chars, "values_cut": self.values_cut}


def activate(run: Optional[Run]) -> None:
    """Make `run` the process's current run (None: no run, everything becomes a no-op)."""
    global _run
    _run = run


def active_run() -> Optional[Run]:
    """The process's current run, if any."""
    return _run


def current_span() -> AnySpan:
    """The innermost open span in this context; the root span in a thread that has none;
    a no-op span outside a run."""
    run = _run
    if run is None:
        return NOOP_SPAN
    span = _CURRENT.get()
    if span is not None:
        return span
    return run.root if run.root is not None else NOOP_SPAN


class StepContext:
    """What `step(...)` returns: a context manager (sync and async) and a decorator."""

    __slots__ = ("name", "kind", "tags", "span_class", "_head")

    def __init__(self, name: str, kind: str = "step", tags: Optional[Dict[str, Any]] = None,
                 span_class: type = Span) -> None:
        self.name = name
        self.kind = kind
        self.tags = tags or {}
        self.span_class = span_class
        self._head = span_head(name, kind)

    def __enter__(self) -> Any:
        run = _run
        if run is None or run.closed:
            return NOOP_SPAN
        parent = _CURRENT.get()
        if parent is None:
            parent = run.root
        span = self.span_class(run, self.name, self.kind, parent, self.tags, self, self._head)
        span._token = _CURRENT.set(span)
        return span

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        span = _CURRENT.get()
        if span is None or span._owner is not self or span._run is not _run:
            return False
        try:
            _CURRENT.reset(span._token)
        except ValueError:  # entered in another context (a generator resumed elsewhere)
            _CURRENT.set(span.parent)
        span.end(exc)
        return False

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        """Decorate a function (sync or async): each call runs inside a new span."""
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await fn(*args, **kwargs)
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]


#: Tags of a span run by `step(..., retries=N)`: which try this is (1-based) and how many it may take.
ATTEMPT_TAG = "herologic.step.attempt"
MAX_ATTEMPTS_TAG = "herologic.step.max_attempts"

Backoff = Union[float, Callable[[int], float]]


class RetryingStep:
    """What `step(name, retries=N)` returns: a decorator (sync and async) that runs the function
    up to N+1 times, each try in its own span. A `with` block cannot be run again, so this is a
    decorator or `.call(fn, *args)` only."""

    __slots__ = ("name", "kind", "tags", "retries", "backoff", "retry_on")

    def __init__(self, name: str, kind: str, tags: Dict[str, Any], retries: int, backoff: Backoff,
                 retry_on: Tuple[type, ...]) -> None:
        if type(retries) is not int or retries < 0:
            raise ValueError(f"step {name!r}: retries must be a non-negative integer, not {retries!r}")
        if not callable(backoff) and (not isinstance(backoff, (int, float)) or backoff < 0):
            raise ValueError(f"step {name!r}: backoff must be seconds (a non-negative number) "
                             f"or a function of the try number, not {backoff!r}")
        self.name = name
        self.kind = kind
        self.tags = tags
        self.retries = retries
        self.backoff = backoff
        self.retry_on = retry_on

    def _context(self, attempt: int) -> StepContext:
        return StepContext(self.name, self.kind, {**self.tags, ATTEMPT_TAG: attempt,
                                                  MAX_ATTEMPTS_TAG: self.retries + 1})

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed try `attempt` (1-based): `backoff * 2**(attempt-1)`, or backoff(attempt)."""
        if callable(self.backoff):
            return max(0.0, float(self.backoff(attempt)))
        return float(self.backoff) * 2 ** (attempt - 1)

    def _gives_up(self, exc: BaseException, attempt: int) -> bool:
        return attempt > self.retries or not isinstance(exc, self.retry_on)

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call `fn(*args, **kwargs)` with the retries (sync functions)."""
        attempt = 1
        while True:
            try:
                with self._context(attempt):
                    return fn(*args, **kwargs)
            except BaseException as exc:  # the try's span recorded it; only Exceptions are retried
                if self._gives_up(exc, attempt):
                    raise
            time.sleep(self.delay_after(attempt))
            attempt += 1

    async def call_async(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Await `fn(*args, **kwargs)` with the retries (async functions)."""
        attempt = 1
        while True:
            try:
                async with self._context(attempt):
                    return await fn(*args, **kwargs)
            except BaseException as exc:
                if self._gives_up(exc, attempt):
                    raise
            import asyncio  # loaded already: this is async code
            await asyncio.sleep(self.delay_after(attempt))
            attempt += 1

    def __call__(self, fn: F) -> F:
        """Decorate a function (sync or async): each call retries as configured."""
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                return await self.call_async(fn, *args, **kwargs)
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return self.call(fn, *args, **kwargs)
        return wrapper  # type: ignore[return-value]

    def __enter__(self) -> Any:
        raise TypeError(f"step {self.name!r} with retries cannot wrap a `with` block (a block cannot run "
                        "again): decorate a function with @step(..., retries=N) or use step(...).call(fn)")

    def __exit__(self, *exc: Any) -> bool:
        return False

    async def __aenter__(self) -> Any:
        return self.__enter__()

    async def __aexit__(self, *exc: Any) -> bool:
        return False


@overload
def step(name: F) -> F: ...
@overload
def step(name: str, kind: str = "step", *, retries: int = 0, backoff: Backoff = 1.0,
         retry_on: Tuple[type, ...] = (Exception,), **tags: Any) -> Any: ...


def step(name: Any, kind: str = "step", *, retries: int = 0, backoff: Backoff = 1.0,
         retry_on: Tuple[type, ...] = (Exception,), **tags: Any) -> Any:
    """A span around a block or a function.

    `with step("fetch", url=u) as span:` — `@step("fetch")` — bare `@step` (named after
    the function). Works for sync and async code; an exception is recorded on the span
    (type, message, traceback) and re-raised. Outside a run it does nothing.

    `@step("fetch", retries=N, backoff=S)` retries the decorated function: up to N+1 tries,
    each its own span tagged `herologic.step.attempt` (1, 2, ...) and
    `herologic.step.max_attempts`, a failed try's exception recorded on its span; it waits
    S * 2**(try-1) seconds after a failed try (or `backoff(try)` when backoff is a function),
    retries only exceptions that are instances of `retry_on` (default Exception: never
    SIGTERM or Ctrl-C), and re-raises the last failure. `step(..., retries=N).call(fn, *args)`
    does the same for one call. A `with` block cannot be retried: that raises TypeError.
    """
    if callable(name):
        return StepContext(name.__name__, kind, tags)(name)
    if retries:
        return RetryingStep(str(name), kind, tags, retries, backoff, tuple(retry_on))
    if type(retries) is not int or retries < 0:
        raise ValueError(f"step {name!r}: retries must be a non-negative integer, not {retries!r}")
    return StepContext(str(name), kind, tags)


class FlowInfo:
    """What `@flow` records about a flow: its name, declared inputs and function.

    `declared` lists the inputs as CONTRACT.md words them (name, type, required, defaultValue,
    description); `inputs` is the same as a spec dict, name -> {type, default, description}.
    """

    __slots__ = ("name", "declared", "inputs", "fn")

    def __init__(self, name: str, declared: List[Dict[str, Any]], fn: Callable[..., Any]) -> None:
        self.name = name
        self.declared = declared
        self.inputs = contract.spec_of(declared)
        self.fn = fn

    def bind(self, inputs: Dict[str, Any]) -> inspect.BoundArguments:
        """Check `inputs` against the declared inputs (CONTRACT.md) and bind them to the function.

        Declared defaults fill missing inputs; raises InputError naming each field."""
        problems = contract.check_inputs(self.declared, inputs)
        if problems:
            raise InputError("; ".join(problems))
        try:
            bound_args = inspect.signature(self.fn).bind(**contract.effective_inputs(self.declared, inputs))
        except TypeError as exc:
            raise InputError(f"inputs do not match {self.name}(): {exc}") from None
        bound_args.apply_defaults()
        return bound_args


def _parameters(fn: Callable[..., Any]) -> Tuple[Dict[str, Any], bool]:
    """The function's parameters (not self, *args, **kwargs) with their defaults, and whether it takes **kwargs."""
    parameters: Dict[str, Any] = {}
    takes_keywords = False
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            takes_keywords = True
        elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL and parameter.name != "self":
            empty = parameter.default is inspect.Parameter.empty
            parameters[parameter.name] = contract.NO_DEFAULT if empty else parameter.default
    return parameters, takes_keywords


def flow(fn: Any = None, /, *, name: Optional[str] = None,
         inputs: Optional[Dict[str, Dict[str, Any]]] = None, **unknown: Any) -> Any:
    """Mark the function a flow file runs: `@flow`, `@flow("x")` or `@flow(name="x", inputs={...})`.

    `inputs` maps each input name to a spec dict with optional `type` (string, integer,
    number, boolean, object, array), `description` and `default` (a default makes the
    input optional); without it the function's parameters are the inputs. Keep it a
    literal dict: the operator reads it from the source text. flows/CONTRACT.md has the
    whole contract; a declaration that breaks it raises DeclarationError (a TypeError).
    Outside a run the decorated function is a plain function; called inside a run it
    is a nested span of kind "flow".
    """
    if unknown:
        raise contract.DeclarationError(f"@flow takes only a name and inputs (found {next(iter(unknown))}=)")
    if isinstance(fn, str) and name is None:
        name, fn = fn, None
    if name is not None and (not isinstance(name, str) or not name):
        raise contract.DeclarationError(contract.NAME_RULE)
    if fn is None:
        return lambda f: flow(f, name=name, inputs=inputs)
    if not inspect.isfunction(fn):
        raise contract.DeclarationError("@flow must decorate a function (def or async def)")
    parameters, takes_keywords = _parameters(fn)
    info = FlowInfo(name or fn.__name__, contract.declare(fn.__name__, parameters, takes_keywords, inputs), fn)
    context = StepContext(info.name, "flow")

    if inspect.iscoroutinefunction(fn):
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            if _run is None:
                return await fn(*args, **kwargs)
            with context:
                return await fn(*args, **kwargs)
        wrapper: Any = async_wrapper
    else:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _run is None:
                return fn(*args, **kwargs)
            with context:
                return fn(*args, **kwargs)
    functools.update_wrapper(wrapper, fn)
    wrapper.__herologic_flow__ = info
    return wrapper


flow.step = step  # type: ignore[attr-defined]


def _after_fork_in_child() -> None:
    # a forked child shares the parent's event fd and sequence: it must not emit
    global _run, _ids
    _run = None
    _ids = iter(())
    _random.seed(os.urandom(16))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
