"""Events to a Play's status: the Python twin of the operator's span assembly.

Local mode uses it to show a run the way `kubectl get play -o json` shows one, so the
terminal tree has one renderer for both (render.py).

The stream is hostile input (PROTOCOL.md, "Readers treat the stream as hostile"): this
reader applies the same rules and the same limits as the operator's `SpanAssembler`, and
`tests/data/hostile_stream.txt` holds lines both readers must assemble alike.
"""
from __future__ import annotations

import datetime
import json
import math
from collections import deque
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional

from .events import MARKER, is_hex_id

MAX_DEPTH = 32

#: The reader's own bounds (the operator's TraceLimits defaults; PROTOCOL.md lists them).
MAX_TRACKED_SPANS = 10_000
MAX_HELD_BYTES = 8 * 1024 * 1024
MAX_NAME_BYTES = 1024
MAX_TEXT_BYTES = 16 * 1024
MAX_SPAN_BYTES = 32 * 1024
MAX_LOG_LINES_PER_SPAN = 64
MAX_OUTPUT_BYTES = 128 * 1024
MAX_TOKENS = 10 ** 12
MAX_VIOLATION_LOGS = 10
#: Later timestamps (year 5138) are no time at all.
MAX_TS = 1e11
#: Accounted per span and per kept log line besides their strings.
SPAN_OVERHEAD_BYTES = 256
LINE_OVERHEAD_BYTES = 48
MIN_TAG_ROOM = 64
VIOLATION_PREFIX = "[herologic] "

_CONTROL = {i: "?" for i in [*range(0x20), 0x7f]}
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


def rfc3339(ts: float) -> str:
    """Unix seconds as RFC 3339 UTC with milliseconds (2025-01-02T03:04:05.678Z)."""
    moment = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def epoch_millis(ts: float) -> int:
    """Unix seconds as whole milliseconds, truncated, rounded the way the operator rounds them."""
    return math.floor(ts * 1_000_000 + 0.5) // 1000


def rfc3339_millis(ms: int) -> str:
    """Unix milliseconds as RFC 3339 UTC with milliseconds, as the operator writes `traceStartTime`."""
    moment = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def span_depths(spans: List[Dict[str, Any]]) -> List[int]:
    """The depth of each span of `status.spans`, derived from the order: the list is parents first, so a
    span's depth is its parent's depth + 1, 0 when its parent does not come before it, at most MAX_DEPTH."""
    depth_by_id: Dict[Any, int] = {}
    depths = []
    for span in spans:
        parent = depth_by_id.get(span.get("parentId")) if span.get("parentId") is not None else None
        depth = 0 if parent is None else min(parent + 1, MAX_DEPTH)
        depths.append(depth)
        depth_by_id.setdefault(span.get("id"), depth)
    return depths


def utf8_size(text: Optional[str]) -> int:
    """Bytes of `text` as UTF-8 (lone surrogates counted as written)."""
    return 0 if text is None else len(text.encode("utf-8", "surrogatepass"))


def json_size(value: Any) -> int:
    """Bytes of `value` as compact JSON (a value nested too deep to write counts as too large)."""
    try:
        return utf8_size(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    except RecursionError:
        return MAX_HELD_BYTES


def is_span_id(value: Any) -> bool:
    return is_hex_id(value, 16)


def quote(text: Optional[str], limit: int) -> str:
    """`text` quoted for a violation message, at most `limit` characters of it."""
    if text is None:
        return "null"
    shown = text if len(text) <= limit else text[:limit] + "…"
    return "'" + shown.translate(_CONTROL) + "'"


class _Cut:
    """Bytes the cuts left out, added up."""

    def __init__(self) -> None:
        self.bytes = 0

    def text(self, text: Optional[str], max_bytes: int) -> Optional[str]:
        """`text`, or its start plus how much was cut, about `max_bytes` of UTF-8 at most."""
        if text is None or len(text) <= max_bytes // 4:
            return text
        data = text.encode("utf-8", "surrogatepass")
        if len(data) <= max_bytes:
            return text
        keep = max(0, max_bytes - 48)
        self.bytes += len(data) - keep
        return data[:keep].decode("utf-8", "ignore") + f"… [{len(data) - keep} bytes cut]"

    def value(self, value: Any, max_bytes: int) -> Any:
        """A value too large to keep becomes a string: its JSON text, cut."""
        if value is None or json_size(value) <= max_bytes:
            return value
        try:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except RecursionError:
            text = "(a value nested too deeply to keep)"
        return self.text(text, max_bytes)


def _as_text(value: Any, default: str = "") -> str:
    """A JSON value read as text the way the operator does (Jackson's asText)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return default if value is None else ""


#: The operator's JSON parser (SpanEvent) limits: a line beyond them is no event.
MAX_NESTING = 500
MAX_NUMBER_CHARS = 1000
MAX_NAME_CHARS = 50_000
MAX_STRING_CHARS = 20_000_000


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # the operator's parser refuses NaN and Infinity too


def _number(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def checked(text: str) -> Any:
        if len(text) > MAX_NUMBER_CHARS:
            raise ValueError("number too long")
        return parse(text)
    return checked


def _object(pairs: List[Any]) -> Dict[str, Any]:
    if any(len(key) > MAX_NAME_CHARS for key, _ in pairs):
        raise ValueError("name too long")
    return dict(pairs)


def _within_limits(value: Any) -> bool:
    """Nesting and string lengths as the operator's parser allows them (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_STRING_CHARS:
                return False
        elif isinstance(item, (dict, list)):
            if depth > MAX_NESTING:
                return False
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return True


def parse_event_json(text: str) -> Any:
    """The JSON after the marker, parsed as strictly as the operator parses it; None when it is not."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_number(int),
                           parse_float=_number(float), object_pairs_hook=_object)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for Python
        return None
    return value if _within_limits(value) else None


def _field(event: Dict[str, Any], name: str) -> Optional[str]:
    """A field as text, None when missing or null."""
    value = event.get(name)
    return None if value is None else _as_text(value)


def _count(value: Any) -> Optional[int]:
    """A count: a JSON integer, not negative, clamped to MAX_TOKENS; anything else is None."""
    if type(value) is not int or value < 0:
        return None
    return min(value, MAX_TOKENS)


def _error_info(value: Any, cut: _Cut) -> Optional[Dict[str, Any]]:
    if not isinstance(value, dict):
        return None
    return {"type": cut.text(_field(value, "type"), MAX_NAME_BYTES),
            "message": cut.text(_field(value, "message"), MAX_TEXT_BYTES),
            "traceback": cut.text(_field(value, "traceback"), 2 * MAX_TEXT_BYTES)}


def _error_size(error: Optional[Dict[str, Any]]) -> int:
    return 0 if not error else sum(utf8_size(error.get(k)) for k in ("type", "message", "traceback"))


class _Span:
    """One span while events arrive; everything it keeps is bounded as it is merged."""

    def __init__(self, span_id: str) -> None:
        self.id = span_id
        self.started = False
        self.ended = False
        self.parent_id: Optional[str] = None
        self.name: Optional[str] = None
        self.kind: Optional[str] = None
        self.status = "Running"
        self.start = 0.0
        self.end = 0.0
        self.tags: Dict[str, Any] = {}
        self.tag_bytes = 0
        self.head: List[str] = []
        self.tail: Deque[str] = deque()
        self.head_closed = False
        self.head_bytes = 0
        self.tail_bytes = 0
        self.logs_dropped = 0
        self.error: Optional[Dict[str, Any]] = None
        self.tokens: Optional[tuple] = None

    def size(self) -> int:
        return (SPAN_OVERHEAD_BYTES + utf8_size(self.id) + utf8_size(self.parent_id) + utf8_size(self.name)
                + utf8_size(self.kind) + self.tag_bytes + self.head_bytes + self.tail_bytes
                + (len(self.head) + len(self.tail)) * LINE_OVERHEAD_BYTES + _error_size(self.error))

    @staticmethod
    def _entry_size(key: str, value: Any) -> int:
        return utf8_size(key) + json_size(value) + 4

    def merge_tags(self, more: Any, cut: _Cut) -> None:
        """Later values win; each cut to MAX_TEXT_BYTES, all together to 2 × MAX_SPAN_BYTES."""
        if not isinstance(more, dict):
            return
        for key, value in more.items():
            key_bytes = utf8_size(key)
            if key_bytes > MAX_NAME_BYTES:
                cut.bytes += key_bytes + json_size(value)
                continue
            others = self.tag_bytes - (self._entry_size(key, self.tags[key]) if key in self.tags else 0)
            room = min(MAX_TEXT_BYTES, 2 * MAX_SPAN_BYTES - others - key_bytes - 8)
            if room < MIN_TAG_ROOM:
                cut.bytes += key_bytes + json_size(value)
                continue
            kept = cut.value(value, room)
            self.tags[key] = kept
            self.tag_bytes = others + self._entry_size(key, kept)

    def log(self, message: str, cut: _Cut) -> None:
        """Keeps the first and the last lines (by count and bytes); those between are counted."""
        half_lines = max(1, MAX_LOG_LINES_PER_SPAN // 2)
        half_bytes = max(256, MAX_SPAN_BYTES // 2)
        line = cut.text(message, min(MAX_TEXT_BYTES, half_bytes)) or ""
        size = utf8_size(line)
        if not self.head_closed and len(self.head) < half_lines and self.head_bytes + size <= half_bytes:
            self.head.append(line)
            self.head_bytes += size
            return
        self.head_closed = True
        self.tail.append(line)
        self.tail_bytes += size
        while len(self.tail) > half_lines or (self.tail_bytes > half_bytes and len(self.tail) > 1):
            self.tail_bytes -= utf8_size(self.tail.popleft())
            self.logs_dropped += 1

    def logs(self) -> List[str]:
        middle = [f"… {self.logs_dropped} log lines dropped …"] if self.logs_dropped else []
        return [*self.head, *middle, *self.tail]


class PlayAssembler:
    """Feed it the runner's stdout lines (each once, in order), then read `play()`.

    The same rules as the operator's reader: `seq` is an integrity check (an event out of
    sequence is applied and counted), run-level events (`output`, `error`, `dropped`,
    `run_end`) last-wins and nothing after `run_end`, span events first-wins, ids and `v`
    checked, everything kept bounded by this reader's own limits.
    """

    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name
        self.last_seq = 0
        self.spans: Dict[str, _Span] = {}
        self.root_id: Optional[str] = None
        self.early_logs: Deque[str] = deque()
        self.early_dropped = 0
        self.flow: Optional[str] = None
        self.trace_id: Optional[str] = None
        self.inputs: Any = None
        self.phase = "Pending"
        self.run_started = False
        self.run_ended = False
        self.output: Any = None
        self.has_output = False
        self.error: Optional[Dict[str, Any]] = None
        self.runner_dropped: Dict[str, int] = {}
        self.started: Optional[float] = None
        self.duration_s: Optional[float] = None
        self.violations = 0
        self.first_violation: Optional[str] = None
        self.untracked_spans = 0
        self.untracked_logs = 0
        self.held_bytes = 0
        self._cut = _Cut()
        self._run_cut = {"output": 0, "error": 0}

    # -- lines -------------------------------------------------------------------------

    def feed_lines(self, lines: Iterable[str]) -> "PlayAssembler":
        """Feed many lines."""
        for line in lines:
            self.feed_line(line)
        return self

    def feed_line(self, line: str) -> None:
        """One stdout line: an event behind the marker, or a stray line kept as a root-span log."""
        line = line.rstrip("\n")
        if line.startswith(MARKER):
            event = parse_event_json(line[len(MARKER):])
            seq = event.get("seq") if isinstance(event, dict) else None
            if (type(seq) is int and _INT64[0] <= seq <= _INT64[1] and isinstance(event.get("type"), str)):
                self.feed_event(event)
                return
        if line.strip():
            self._log_on_root(line)

    def _log_on_root(self, line: str) -> None:
        root = self.spans.get(self.root_id or "")
        if root is not None:
            self._mutate(root, lambda s: s.log(line, self._cut))
            return
        kept = self._cut.text(line, MAX_TEXT_BYTES) or ""
        self.early_logs.append(kept)
        self.held_bytes += utf8_size(kept) + LINE_OVERHEAD_BYTES
        if len(self.early_logs) > MAX_LOG_LINES_PER_SPAN:
            self.held_bytes -= utf8_size(self.early_logs.popleft()) + LINE_OVERHEAD_BYTES
            self.early_dropped += 1

    def _violation(self, what: str) -> None:
        self.violations += 1
        if self.first_violation is None:
            self.first_violation = what
        if self.violations <= MAX_VIOLATION_LOGS:
            self._log_on_root(VIOLATION_PREFIX + what)
        elif self.violations == MAX_VIOLATION_LOGS + 1:
            self._log_on_root(VIOLATION_PREFIX + "more protocol violations follow; they are counted, not logged")

    # -- events ------------------------------------------------------------------------

    def feed_event(self, event: Dict[str, Any]) -> None:
        """One decoded event (a dict with an integer `seq` and a string `type`)."""
        seq = event["seq"]
        if seq != self.last_seq + 1:
            self._violation(f"event out of sequence: expected {self.last_seq + 1}, got {seq}")
        self.last_seq = seq
        version = event.get("v")
        if type(version) is not int or version != 1:
            shown = json.dumps(version) if "v" in event else ""
            self._violation(f"event with protocol version {quote(shown, 20)} not applied")
            return
        kind = event["type"]
        if self.run_ended:
            self._violation(f"event {quote(kind, 40)} after run_end not applied")
            return
        handler: Optional[Callable[[Dict[str, Any]], None]] = getattr(self, "_on_" + kind, None) \
            if kind in _EVENT_TYPES else None
        if handler is not None:
            handler(event)  # an unknown type (a newer runner's) is ignored, never fatal

    def _on_run_start(self, event: Dict[str, Any]) -> None:
        if self.run_started:
            self._violation("a second run_start ignored")
            return
        self.run_started = True
        self.flow, self.inputs = event.get("flow"), event.get("inputs")
        ts = event.get("ts")
        self.started = float(ts) if type(ts) in (int, float) and 0 < ts <= MAX_TS else None
        self.phase = "Running"
        trace_id = _field(event, "trace_id")
        if is_hex_id(trace_id, 32):
            self.trace_id = trace_id
        else:
            self._violation(f"run_start with trace_id {quote(trace_id, 40)}, not 32 lowercase hex digits")

    def _on_span_start(self, event: Dict[str, Any]) -> None:
        parent_id = _field(event, "parent_id")
        if parent_id is not None and not is_span_id(parent_id):
            self._violation(f"span_start with parent_id {quote(parent_id, 40)}, not 16 lowercase hex digits: not applied")
            return
        span = self._known_span(event)
        if span is None:
            return
        if span.started:
            self._violation(f"span_start for span {span.id}, which already started: ignored")
            return
        if parent_id is None and self.root_id is not None:
            self._violation(f"a second root span {span.id}")
        ts = self._timestamp(event)

        def start(s: _Span) -> None:
            s.started, s.parent_id, s.start = True, parent_id, ts
            s.name = self._cut.text(_as_text(event.get("name")), MAX_NAME_BYTES)
            s.kind = self._cut.text(_as_text(event.get("kind"), "step"), MAX_NAME_BYTES)
            self._merge_tags(s, event.get("tags"))

        self._mutate(span, start)
        if parent_id is None and self.root_id is None:
            self.root_id = span.id
            self.held_bytes -= sum(utf8_size(line) + LINE_OVERHEAD_BYTES for line in self.early_logs)
            early, dropped = list(self.early_logs), self.early_dropped
            self.early_logs.clear()
            self.early_dropped = 0

            def adopt(s: _Span) -> None:
                for line in early:
                    s.log(line, self._cut)
                s.logs_dropped += dropped

            self._mutate(span, adopt)

    def _on_span_tag(self, event: Dict[str, Any]) -> None:
        span = self._known_span(event)
        if span is not None:
            self._mutate(span, lambda s: self._merge_tags(s, event.get("tags")))

    def _on_span_log(self, event: Dict[str, Any]) -> None:
        span = self._known_span(event)
        if span is not None and self._fits():
            self._mutate(span, lambda s: s.log(_as_text(event.get("message")), self._cut))
        elif span is not None or is_span_id(_field(event, "span_id")):
            self.untracked_logs += 1

    def _on_span_end(self, event: Dict[str, Any]) -> None:
        span = self._known_span(event)
        if span is None:
            return
        if span.ended:
            self._violation(f"span_end for span {span.id}, which already ended: ignored")
            return
        ts = self._timestamp(event)
        fits = self._fits()

        def end(s: _Span) -> None:
            s.ended, s.end = True, ts
            s.status = "Error" if _field(event, "status") == "error" else "Ok"
            self._merge_tags(s, event.get("tags"))
            given = event.get("error")
            if isinstance(given, dict):
                # Over the Play's ceiling a span still says which error ended it, without the long texts.
                s.error = _error_info(given if fits else {"type": given.get("type")}, self._cut)

        self._mutate(span, end)

    def _on_tokens(self, event: Dict[str, Any]) -> None:
        span = self._known_span(event)
        if span is None:
            return
        given_in, given_out = event.get("input_tokens"), event.get("output_tokens")
        counts = (_count(given_in), _count(given_out))
        if None in counts:
            shown = [json.dumps(v) if k in event else "null" for k, v in
                     (("input_tokens", given_in), ("output_tokens", given_out))]
            self._violation(f"tokens for span {span.id} with counts {quote(shown[0], 40)} and "
                            f"{quote(shown[1], 40)}, not non-negative integers: not applied")
            return
        if given_in > MAX_TOKENS or given_out > MAX_TOKENS:
            self._violation(f"tokens for span {span.id} clamped to {MAX_TOKENS}")
        span.tokens = counts  # the span's running totals: latest wins

    def _on_output(self, event: Dict[str, Any]) -> None:
        cut = _Cut()
        self.output, self.has_output = cut.value(event.get("value"), MAX_OUTPUT_BYTES), True
        self._run_cut["output"] = cut.bytes

    def _on_error(self, event: Dict[str, Any]) -> None:
        cut = _Cut()
        self.error = _error_info(event.get("error"), cut)
        self._run_cut["error"] = cut.bytes

    def _on_dropped(self, event: Dict[str, Any]) -> None:
        def count(name: str) -> int:
            value = _count(event.get(name))
            if name in event and value is None:
                self._violation(f"dropped.{name} is {quote(json.dumps(event.get(name)), 40)}, not a non-negative integer")
            return value or 0

        self.runner_dropped = {"spans": count("spans"), "logs": count("logs"),
                               "bytes": count("log_bytes") + count("values_cut")}

    def _on_run_end(self, event: Dict[str, Any]) -> None:
        status = _field(event, "status")
        if status not in ("succeeded", "failed"):
            self._violation(f"run_end with status {quote(status, 40)} read as failed")
            status = "failed"
        self.phase = "Succeeded" if status == "succeeded" else "Failed"
        self.run_ended = True
        duration = event.get("duration_s")
        self.duration_s = float(duration) if type(duration) in (int, float) and 0 <= duration <= MAX_TS else None
        # The runner writes an output only when the flow returned and an error only when it
        # failed, both just before run_end: one that does not match was forged by the flow.
        if status == "succeeded" and self.error is not None:
            self._violation("an error event in a succeeded run discarded")
            self.error, self._run_cut["error"] = None, 0
        elif status == "failed" and self.has_output:
            self._violation("an output event in a failed run discarded")
            self.output, self.has_output, self._run_cut["output"] = None, False, 0

    # -- helpers -----------------------------------------------------------------------

    def _timestamp(self, event: Dict[str, Any]) -> float:
        ts = event.get("ts", 0)
        ts = float(ts) if type(ts) in (int, float) else 0.0
        if 0 <= ts <= MAX_TS:  # also false for NaN
            return ts
        self._violation(f"event {event['seq']} with a ts that is not a time: read as unknown")
        return 0.0

    def _known_span(self, event: Dict[str, Any]) -> Optional[_Span]:
        """The span the event names (made when first named), or None: a bad id, or the caps are reached."""
        kind, span_id = event["type"], _field(event, "span_id")
        if not is_span_id(span_id):
            self._violation(f"{kind} with span_id {quote(span_id, 40)}, not 16 lowercase hex digits: not applied")
            return None
        assert span_id is not None
        span = self.spans.get(span_id)
        if span is not None:
            if not span.started and kind != "span_start":
                self._violation(f"{kind} for span {span_id}, which has not started")
            return span
        if len(self.spans) >= MAX_TRACKED_SPANS or not self._fits():
            if kind == "span_start":
                self.untracked_spans += 1
            return None
        if kind != "span_start":
            self._violation(f"{kind} for span {span_id}, which has not started")
        span = self.spans[span_id] = _Span(span_id)
        self.held_bytes += span.size()
        return span

    def _merge_tags(self, span: _Span, tags: Any) -> None:
        """Merges tags while the Play is under its ceiling; above it they are counted, not kept."""
        if self._fits():
            span.merge_tags(tags, self._cut)
        elif tags is not None:
            self._cut.bytes += json_size(tags)

    def _fits(self) -> bool:
        return self.held_bytes < MAX_HELD_BYTES

    def _mutate(self, span: _Span, change: Callable[[_Span], None]) -> None:
        before = span.size()
        change(span)
        self.held_bytes += span.size() - before

    def retained_bytes(self) -> int:
        """What this reader holds, accounted the way the operator's reader accounts it."""
        run_level = (json_size(self.output) if self.has_output else 0) + _error_size(self.error)
        return self.held_bytes + run_level

    # -- results -----------------------------------------------------------------------

    def finish(self, exit_code: Optional[int] = None) -> None:
        """The runner exited: a run that never reported run_end failed."""
        if self.phase in ("Pending", "Running"):
            self.phase = "Failed"
            if self.error is None:
                self.error = {"type": "RunnerExited",
                              "message": f"the runner exited (code {exit_code}) before the run ended", "traceback": ""}

    def trace_start_ms(self) -> Optional[int]:
        """The earliest span start in Unix milliseconds (`status.traceStartTime`), None before any span started."""
        starts = [epoch_millis(span.start) for span in self.spans.values() if span.start]
        return min(starts) if starts else None

    def span_list(self) -> List[Dict[str, Any]]:
        """The spans as the operator writes `status.spans`: flat, parents first, depth-first by start time,
        each start in milliseconds after `trace_start_ms` (depth is derived from the order: `span_depths`)."""
        trace_start = self.trace_start_ms() or 0
        children: Dict[Optional[str], List[_Span]] = {}
        for span in self.spans.values():
            parent = span.parent_id if span.parent_id in self.spans and span.parent_id != span.id else None
            children.setdefault(parent, []).append(span)

        def by_start(span: _Span) -> float:
            return span.start or float("inf")

        out: List[Dict[str, Any]] = []
        seen = set()
        stack = sorted(children.get(None, []), key=by_start, reverse=True)
        cycle = [s for s in self.spans.values()]  # spans in a parent cycle: no root leads there
        while stack or cycle:
            if not stack:
                span = cycle.pop(0)
                if span.id not in seen:
                    stack.append(span)
                continue
            span = stack.pop()  # iterative: nesting can be deeper than Python's recursion limit
            if span.id in seen:
                continue
            seen.add(span.id)
            item: Dict[str, Any] = {"id": span.id, "parentId": span.parent_id,
                                    "name": span.name if span.name is not None else f"(span {span.id} not started)",
                                    "kind": span.kind or "step", "status": span.status,
                                    "tags": span.tags, "logs": span.logs()}
            if span.start:
                item["startOffsetMs"] = epoch_millis(span.start) - trace_start
                if span.end:
                    item["durationMs"] = max(0, int(round((span.end - span.start) * 1000)))
            if span.error:
                item["error"] = span.error
            out.append(item)
            kids = sorted(children.get(span.id, []), key=by_start, reverse=True)
            stack.extend(kids)
        return out

    def token_totals(self) -> Dict[str, int]:
        """Tokens of the run: per span its latest `tokens` event (else its gen_ai.usage tags), summed."""
        totals = {"input": 0, "output": 0}
        for span in self.spans.values():
            counts = span.tokens or (span.tags.get("gen_ai.usage.input_tokens"),
                                     span.tags.get("gen_ai.usage.output_tokens"))
            for key, value in zip(("input", "output"), counts):
                totals[key] += _count(value) or 0
        return {**totals, "total": totals["input"] + totals["output"]}

    def dropped(self) -> Dict[str, int]:
        """What the runner and this reader left out."""
        runner = self.runner_dropped
        return {"spans": runner.get("spans", 0) + self.untracked_spans,
                "logs": runner.get("logs", 0) + self.untracked_logs + sum(s.logs_dropped for s in self.spans.values()),
                "bytes": runner.get("bytes", 0) + self._cut.bytes + sum(self._run_cut.values())}

    def play(self) -> Dict[str, Any]:
        """A Play object shaped like the operator's (what `kubectl get play -o json` shows)."""
        status: Dict[str, Any] = {"phase": self.phase, "spans": self.span_list(), "tokens": self.token_totals()}
        trace_start = self.trace_start_ms()
        if trace_start is not None:
            status["traceStartTime"] = rfc3339_millis(trace_start)
        if self.trace_id:
            status["traceId"] = self.trace_id
        if self.started:
            status["startTime"] = rfc3339(self.started)
        if self.duration_s is not None:
            status["durationMs"] = int(round(self.duration_s * 1000))
        if self.has_output:
            status["output"] = self.output
        if self.error:
            status["error"] = self.error
        dropped = self.dropped()
        if any(dropped.values()):
            status["dropped"] = dropped
        if self.violations:
            status["conditions"] = [{"type": "EventStreamViolations", "status": "True", "reason": "ProtocolViolations",
                                     "message": f"{self.violations} protocol violations in the event stream; "
                                                f"the first: {self.first_violation}"}]
        return {"apiVersion": "herologic.io/v1alpha1", "kind": "Play",
                "metadata": {"name": self.name or self.flow or "local"},
                "spec": {"workflow": self.flow, "inputs": self.inputs or {}}, "status": status}


_EVENT_TYPES = frozenset({"run_start", "span_start", "span_tag", "span_log", "span_end", "tokens", "output",
                          "error", "dropped", "run_end"})
