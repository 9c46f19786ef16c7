"""A local run's trace as OTLP/HTTP with the JSON encoding (`python -m herologic run --otlp-endpoint URL`).

`TraceRecorder` reads the run's event stream (the same lines the terminal tree is built from)
and `export()` posts it to a collector, Jaeger or Tempo. The mapping follows OpenTelemetry's
semantic conventions, as the span tags already do (design, "The span tree"):

- one resource with `service.name` = the flow, one scope `herologic`;
- ids as the runner wrote them (hex: OTLP/JSON's exception to proto3's base64), the root span's
  parent from `--traceparent` when the run continues a trace;
- start and end in unix nanoseconds (int64 as JSON strings), kind `CLIENT` (3) for `rpc` and
  `llm` spans, else `INTERNAL` (1); the herologic kind in `herologic.span.kind`;
- status `OK` (1), or `ERROR` (2) with the error message; the error as an `exception` event
  (`exception.type`, `.message`, `.stacktrace`), not repeated as span attributes;
- each captured log line as an event `log` with `log.message` and `log.level`;
- `tokens` events as `gen_ai.usage.input_tokens` / `gen_ai.usage.output_tokens` (ints).

This module is for the terminal only: the operator does not ship it to flow Pods (operator/pom.xml).
The stream is read as hostile input, as assemble.py reads it: ids must be protocol ids, and what is
held is bounded (spans, events per span, text per value); what was left out is counted in OTLP's
`dropped*Count` fields.
"""
from __future__ import annotations

import json
import math
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .assemble import MAX_TRACKED_SPANS, parse_event_json
from .events import MARKER, is_hex_id

TRACES_PATH = "/v1/traces"
SPAN_KIND_INTERNAL, SPAN_KIND_CLIENT = 1, 3
STATUS_OK, STATUS_ERROR = 1, 2
CLIENT_KINDS = frozenset({"rpc", "llm"})
#: What one span holds at most: events (log lines and the exception), characters per text value.
MAX_EVENTS_PER_SPAN = 128
MAX_TEXT_CHARS = 16 * 1024
#: Spans per POST, so that a 10,000-span run stays under collectors' request size limits.
SPANS_PER_REQUEST = 512
_INT64 = (-(2 ** 63), 2 ** 63 - 1)
_EXCEPTION_TAGS = ("exception.type", "exception.message", "exception.stacktrace")


class ExportError(Exception):
    """The collector could not be reached or refused the trace."""


def _nanos(ts: Any) -> Optional[int]:
    """Unix seconds (the events' `ts`, microsecond precision) as integer nanoseconds; None if no time."""
    if type(ts) not in (int, float) or not math.isfinite(ts) or not 0 < ts < 1e11:
        return None
    return int(round(ts * 1_000_000)) * 1000


def _text(value: str) -> str:
    return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS] + f"… [cut {len(value) - MAX_TEXT_CHARS} chars]"


def any_value(value: Any) -> Dict[str, Any]:
    """An OTLP AnyValue: strings, booleans, int64 (as a JSON string) and doubles as themselves;
    anything else (objects, arrays, larger ints) as its JSON text."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return {"intValue": str(value)}
    if isinstance(value, float) and math.isfinite(value):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": _text(value)}
    return {"stringValue": _text(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str))}


def attributes(values: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """A dict as OTLP KeyValue list."""
    return [{"key": key, "value": any_value(value)} for key, value in values.items()]


class _Span:
    __slots__ = ("id", "parent_id", "name", "kind", "start", "end", "tags", "events", "dropped_events",
                 "status", "error", "tokens")

    def __init__(self, span_id: str, parent_id: Optional[str], name: str, kind: str, start: Optional[int]) -> None:
        self.id = span_id
        self.parent_id = parent_id
        self.name = name
        self.kind = kind
        self.start = start
        self.end: Optional[int] = None
        self.tags: Dict[str, Any] = {}
        self.events: List[Dict[str, Any]] = []
        self.dropped_events = 0
        self.status: Optional[str] = None
        self.error: Optional[Dict[str, str]] = None
        self.tokens: Optional[Tuple[int, int, Optional[str]]] = None

    def add_event(self, event: Dict[str, Any]) -> None:
        if len(self.events) < MAX_EVENTS_PER_SPAN:
            self.events.append(event)
        else:
            self.dropped_events += 1


class TraceRecorder:
    """Collects the spans of one run from its event lines; `requests()` gives the OTLP bodies.

    `parent_span_id` (from a `traceparent`) becomes the root span's parent; the trace id is the
    run's (given the traceparent's trace id, the runner uses it)."""

    def __init__(self, parent_span_id: Optional[str] = None) -> None:
        self.parent_span_id = parent_span_id
        self.trace_id: Optional[str] = None
        self.flow: Optional[str] = None
        self.spans: Dict[str, _Span] = {}
        self.dropped_spans = 0
        self.last_ns: Optional[int] = None

    def feed_lines(self, lines: Iterable[str]) -> "TraceRecorder":
        """Feed many lines."""
        for line in lines:
            self.feed_line(line)
        return self

    def feed_line(self, line: str) -> None:
        """One stdout line of the runner; lines without the marker are not events and are skipped
        (assemble.py keeps them as logs of the root span, where the tree shows them)."""
        if not line.startswith(MARKER):
            return
        event = parse_event_json(line[len(MARKER):].rstrip("\n"))
        if isinstance(event, dict) and isinstance(event.get("type"), str):
            self.feed_event(event)

    def feed_event(self, event: Dict[str, Any]) -> None:
        """One decoded event; events naming unknown or malformed spans are ignored."""
        ts = _nanos(event.get("ts"))
        if ts is not None:
            self.last_ns = ts if self.last_ns is None else max(self.last_ns, ts)
        kind = event["type"]
        if kind == "run_start":
            if self.trace_id is None and is_hex_id(event.get("trace_id"), 32):
                self.trace_id = event["trace_id"]
            if self.flow is None and isinstance(event.get("flow"), str):
                self.flow = event["flow"]
            return
        span_id = event.get("span_id")
        if not is_hex_id(span_id, 16):
            return
        if kind == "span_start":
            self._start(span_id, event, ts)
            return
        span = self.spans.get(span_id)
        if span is None:
            return
        if kind == "span_tag" and isinstance(event.get("tags"), dict):
            span.tags.update(event["tags"])
        elif kind == "span_log" and isinstance(event.get("message"), str):
            level = event.get("level") if isinstance(event.get("level"), str) else "info"
            span.add_event({"name": "log", "timeUnixNano": ts or span.start,
                            "attributes": {"log.message": event["message"], "log.level": level}})
        elif kind == "tokens":
            counts = event.get("input_tokens"), event.get("output_tokens")
            if all(type(c) is int and c >= 0 for c in counts):
                model = event.get("model") if isinstance(event.get("model"), str) else None
                span.tokens = (counts[0], counts[1], model)  # running totals: the latest wins
        elif kind == "span_end" and span.end is None:
            span.end = ts
            span.status = "error" if event.get("status") == "error" else "ok"
            error = event.get("error")
            if isinstance(error, dict):
                span.error = {key: error[key] for key in ("type", "message", "traceback")
                              if isinstance(error.get(key), str)}

    def _start(self, span_id: str, event: Dict[str, Any], ts: Optional[int]) -> None:
        if span_id in self.spans:
            return
        if len(self.spans) >= MAX_TRACKED_SPANS:
            self.dropped_spans += 1
            return
        parent_id = event.get("parent_id")
        if parent_id is not None and not is_hex_id(parent_id, 16):
            return
        name = event.get("name") if isinstance(event.get("name"), str) else ""
        kind = event.get("kind") if isinstance(event.get("kind"), str) else "step"
        span = _Span(span_id, parent_id, _text(name), _text(kind), ts)
        if isinstance(event.get("tags"), dict):
            span.tags.update(event["tags"])
        self.spans[span_id] = span

    @property
    def service_name(self) -> str:
        """The resource's `service.name`: the flow, else the root span's name."""
        if self.flow:
            return self.flow
        roots = [s for s in self.spans.values() if s.parent_id is None]
        return roots[0].name if roots else "herologic-flow"

    def otlp_span(self, span: _Span) -> Dict[str, Any]:
        """One span as an OTLP/JSON Span object."""
        tags = {k: v for k, v in span.tags.items() if k not in _EXCEPTION_TAGS}
        tags["herologic.span.kind"] = span.kind
        if span.tokens is not None:
            tags["gen_ai.usage.input_tokens"], tags["gen_ai.usage.output_tokens"] = span.tokens[0], span.tokens[1]
            if span.tokens[2] and "gen_ai.response.model" not in tags:
                tags["gen_ai.response.model"] = span.tokens[2]
        start = span.start or self.last_ns or 0
        end = span.end if span.end is not None else (self.last_ns or start)
        events = [dict(event, timeUnixNano=str(event["timeUnixNano"] or start),
                       attributes=attributes(event["attributes"])) for event in span.events]
        status: Dict[str, Any]
        if span.status == "ok":
            status = {"code": STATUS_OK}
        elif span.status == "error":
            error = span.error or {}
            status = {"code": STATUS_ERROR, "message": _text(error.get("message") or error.get("type") or "error")}
            events.append({"name": "exception", "timeUnixNano": str(end), "attributes": attributes({
                "exception.type": error.get("type") or "Error", "exception.message": error.get("message", ""),
                "exception.stacktrace": error.get("traceback", "")})})
        else:
            status = {"code": STATUS_ERROR, "message": "the span never ended: the runner exited before it"}
        out: Dict[str, Any] = {"traceId": self.trace_id, "spanId": span.id}
        parent = span.parent_id if span.parent_id is not None else self.parent_span_id
        if parent:
            out["parentSpanId"] = parent
        out.update({"name": span.name, "kind": SPAN_KIND_CLIENT if span.kind in CLIENT_KINDS else SPAN_KIND_INTERNAL,
                    "startTimeUnixNano": str(start), "endTimeUnixNano": str(max(start, end)),
                    "attributes": attributes(tags), "events": events, "status": status})
        if span.dropped_events:
            out["droppedEventsCount"] = span.dropped_events
        return out

    def requests(self, spans_per_request: int = SPANS_PER_REQUEST) -> List[Dict[str, Any]]:
        """The ExportTraceServiceRequest bodies, at most `spans_per_request` spans each (none
        when the run reported no trace id or no span)."""
        if self.trace_id is None or not self.spans:
            return []
        from . import __version__
        resource = {"attributes": attributes({"service.name": self.service_name, "telemetry.sdk.name": "herologic",
                                              "telemetry.sdk.language": "python",
                                              "telemetry.sdk.version": __version__})}
        scope = {"name": "herologic", "version": __version__}
        spans = [self.otlp_span(span) for span in self.spans.values()]
        return [{"resourceSpans": [{"resource": resource,
                                    "scopeSpans": [{"scope": scope, "spans": spans[i:i + spans_per_request]}]}]}
                for i in range(0, len(spans), spans_per_request)]


# -- where to send it: flags, then the OTel environment variables ---------------------------


def traces_url(endpoint: Optional[str], environ: Mapping[str, str]) -> Optional[str]:
    """The URL to POST traces to, or None when nothing asks for export.

    `--otlp-endpoint URL` first: used as given when it has a path, else with /v1/traces added.
    Then, as the OTel specification reads them, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is)
    and `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL: /v1/traces is appended to its path).
    Raises ValueError naming the setting when the URL is not http(s)."""
    if endpoint:
        _check_url(endpoint, "--otlp-endpoint")
        return endpoint if urllib.parse.urlsplit(endpoint).path not in ("", "/") else endpoint.rstrip("/") + TRACES_PATH
    signal_url = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if signal_url:
        return _check_url(signal_url, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if base:
        return _check_url(base, "OTEL_EXPORTER_OTLP_ENDPOINT").rstrip("/") + TRACES_PATH
    return None


def _check_url(url: str, setting: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{setting} {url!r}: expected an http:// or https:// URL of an OTLP/HTTP receiver")
    return url


def export_headers(pairs: Iterable[str], environ: Mapping[str, str]) -> Dict[str, str]:
    """Request headers: `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`
    (comma-separated key=value, values percent-decoded, as the OTel specification defines them),
    then each `--otlp-header key=value`; later ones win. ValueError names a malformed entry."""
    headers: Dict[str, str] = {}
    for variable in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"):
        for item in environ.get(variable, "").split(","):
            if item.strip():
                key, value = _header(item, variable)
                headers[key] = urllib.parse.unquote(value)
    for pair in pairs:
        key, value = _header(pair, "--otlp-header")
        headers[key] = value
    return headers


def _header(item: str, setting: str) -> Tuple[str, str]:
    key, sep, value = item.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key or any(c in key for c in " :\r\n") or any(c in value for c in "\r\n"):
        raise ValueError(f"{setting} {item.strip()!r}: expected key=value (a header name without spaces or ':')")
    return key, value


def export(url: str, bodies: List[Dict[str, Any]], headers: Optional[Mapping[str, str]] = None,
           timeout: float = 10.0) -> int:
    """POST each body as `application/json`; returns the number of spans sent. Raises ExportError
    naming the URL and the collector's answer when a request fails."""
    sent = 0
    for body in bodies:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={**(headers or {}), "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            answer = exc.read()[:300].decode("utf-8", "replace")
            raise ExportError(f"{url} answered HTTP {exc.code} {exc.reason}: {answer}") from None
        except (socket.timeout, TimeoutError):
            raise ExportError(f"{url}: no answer within {timeout:g}s") from None
        except urllib.error.URLError as exc:
            raise ExportError(f"cannot reach {url}: {exc.reason}") from None
        except OSError as exc:
            raise ExportError(f"{url}: {exc}") from None
        sent += sum(len(scope["spans"]) for rs in body["resourceSpans"] for scope in rs["scopeSpans"])
    return sent

