"""The event stream: one JSON object per line behind a fixed marker (see PROTOCOL.md).

Also the value bounds (`cut_str`, `bound`), because every value that reaches an
event goes through them.
"""
from __future__ import annotations

import json
import math
import os
import threading
import time
from typing import Any, Callable, Dict, Optional

from . import limits

MARKER = "@@herologic@@ "
PROTOCOL_VERSION = 1

_HEX_DIGITS = frozenset("0123456789abcdef")


def is_hex_id(value: Any, digits: int) -> bool:
    """Whether `value` is an id of the protocol: lowercase hex, exactly `digits` long
    (16 for a span id, 32 for a trace id). Readers refuse events with any other id."""
    return isinstance(value, str) and len(value) == digits and _HEX_DIGITS.issuperset(value)


_json_str = json.encoder.encode_basestring_ascii  # the C encoder json.dumps uses
_dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode
_get_ident = threading.get_ident


class _Counters:
    """How many values the bounds cut, process-wide (a run reads the difference)."""

    values_cut = 0


counters = _Counters()


def cut_str(text: str, limit: int = limits.MAX_STRING_CHARS) -> str:
    """Return `text`, or its start plus a suffix saying how much was cut, `limit` characters in all."""
    if len(text) <= limit:
        return text
    counters.values_cut += 1
    # the result is at most `limit` long, so cutting it again changes nothing
    keep = limit - len(f"… [cut {len(text)} of {len(text)} chars]")
    return f"{text[:keep]}… [cut {len(text) - keep} of {len(text)} chars]"


def _plain(value: Any, depth: int) -> Any:
    """`value` as JSON-native types, strings cut, containers capped, other objects as repr()."""
    kind = type(value)
    if kind is str:
        return cut_str(value)
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else repr(value)
    if depth >= limits.MAX_DEPTH:
        return cut_str(repr(value))
    if isinstance(value, dict):
        items = list(value.items())
        out = {k if isinstance(k, str) else str(k): _plain(v, depth + 1) for k, v in items[: limits.MAX_ITEMS]}
        if len(items) > limits.MAX_ITEMS:
            counters.values_cut += 1
            out["…"] = f"{len(items) - limits.MAX_ITEMS} more items cut"
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        seq = list(value)
        out_list = [_plain(v, depth + 1) for v in seq[: limits.MAX_ITEMS]]
        if len(seq) > limits.MAX_ITEMS:
            counters.values_cut += 1
            out_list.append(f"… {len(seq) - limits.MAX_ITEMS} more items cut")
        return out_list
    if isinstance(value, str):
        return cut_str(str(value))
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _plain(float(value), depth)
    return cut_str(repr(value))


def bound(value: Any) -> Any:
    """`value` made JSON-safe and bounded: strings cut at MAX_STRING_CHARS, a structure
    whose JSON exceeds MAX_STRUCT_CHARS replaced by that JSON text, cut."""
    plain = _plain(value, 0)
    if isinstance(plain, (dict, list)):
        text = _dumps(plain)
        if len(text) > limits.MAX_STRUCT_CHARS:
            return cut_str(text)
    return plain


def dumps(value: Any) -> str:
    """Compact ASCII JSON (non-ASCII and lone surrogates as \\u escapes, never NaN)."""
    return _dumps(value)


def json_str(text: str) -> str:
    """`text` as a quoted JSON string literal."""
    return _json_str(text)


def fd_writer(fd: int) -> Callable[[bytes], None]:
    """A write function that writes all of `data` to `fd` (looping over short writes)."""

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]

    return write


class Emitter:
    """Writes events as complete lines, one at a time, with a gap-free sequence number.

    Each event is one whole line written under a lock (to `fd` with os.write, looping
    over short writes, or through `write`), so an event line is never interleaved with
    another. A signal handler must not interrupt a write half-way: it calls
    `defer_or_raise`, which raises at once unless the interrupted main thread is inside
    `emit_raw`, in which case `emit_raw` raises it after the line is written.
    """

    def __init__(self, write: Optional[Callable[[bytes], None]] = None, fd: Optional[int] = None) -> None:
        if (write is None) == (fd is None):
            raise ValueError("Emitter needs exactly one of write= or fd=")
        self._write = write
        self._fd = fd
        self._lock = threading.Lock()
        self._main = threading.main_thread().ident
        self._deferred: Optional[BaseException] = None
        self.seq = 0
        self.closed = False
        self.write_errors = 0

    def emit(self, type_: str, fields: Dict[str, Any]) -> None:
        """Emit one event of `type_`; `fields` must already be bounded JSON-native values."""
        body = _dumps(fields)
        self.emit_raw(type_, "}" if body == "{}" else "," + body[1:])

    def emit_raw(self, type_: str, tail: str) -> None:
        """Emit an event whose fields are the pre-encoded JSON `tail` (`,"k":v...}` or `}`)."""
        with self._lock:
            if self.closed:
                return
            self.seq += 1
            data = ('%s{"v":1,"seq":%d,"ts":%.6f,"type":"%s%s\n'
                    % (MARKER, self.seq, time.time(), type_, '"' + tail)).encode("ascii")
            try:
                if self._fd is None:
                    self._write(data)  # type: ignore[misc]
                else:
                    written = os.write(self._fd, data)
                    while written < len(data):
                        data = data[written:]
                        written = os.write(self._fd, data)
            except OSError:
                # stdout is gone (the Pod is being torn down): keep the flow running
                self.write_errors += 1
        if self._deferred is not None and _get_ident() == self._main:
            deferred, self._deferred = self._deferred, None
            raise deferred

    def defer_or_raise(self, exc: BaseException, frame: Any) -> None:
        """From a signal handler (`frame` is the interrupted frame): raise `exc` now, or,
        when the main thread was interrupted inside `emit_raw`, once its line is written."""
        depth = 0
        while frame is not None and depth < 8:
            if frame.f_code is _EMIT_CODE:
                self._deferred = exc
                return
            frame, depth = frame.f_back, depth + 1
        raise exc

    def close(self) -> None:
        """Refuse every later event (after run_end)."""
        with self._lock:
            self.closed = True


_EMIT_CODE = Emitter.emit_raw.__code__
