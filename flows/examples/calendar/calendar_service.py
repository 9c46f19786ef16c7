#!/usr/bin/env python3
"""A small in-memory calendar served over JSON-RPC 2.0 (HTTP POST /rpc).

It is the demo service for the ``service_agent_v3`` flow and the target of its
end-to-end tests. Like the original system's OSIS calendar, ``event.set``
insists on a *complete* Event object: every field of the type must be present
(only ``id`` may be left out, it is then generated). Models calling it with a
partial dictionary get a JSON-RPC error naming the missing field, which is the
failure the agent's debug loop has to recover from.

Methods: ``event.set`` {data}, ``event.get`` {id}, ``event.list`` {},
``event.delete`` {id} and ``rpc.discover`` (its OpenRPC 1.2 document).

Run: ``python3 calendar_service.py --port 8080`` (or env PORT); stdlib only.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

SERVICE_TITLE = "calendar"
SERVICE_VERSION = "1.0.0"
RPC_PATH = "/rpc"
MAX_BODY_BYTES = 1 << 20

# JSON-RPC 2.0 error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
NOT_FOUND = -32004

EVENT_FIELDS: Tuple[Tuple[str, str, str], ...] = (
    ("title", "string", "Short title shown in the calendar."),
    ("start_time", "string", "Start, ISO 8601 date-time with offset, e.g. 2026-05-07T10:00:00Z."),
    ("end_time", "string", "End, ISO 8601 date-time with offset; not before start_time."),
    ("location", "string", "Where the event takes place (may be an empty string)."),
    ("description", "string", "Free text (may be an empty string)."),
    ("attendees", "array", "E-mail addresses or names of the attendees (may be an empty list)."),
)
REQUIRED_EVENT_FIELDS = [name for name, _, _ in EVENT_FIELDS]


class RpcError(Exception):
    """An error returned to the caller as a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> Dict[str, Any]:
        error: Dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def event_schema() -> Dict[str, Any]:
    """JSON Schema of the Event type, as published in the OpenRPC document."""
    properties: Dict[str, Any] = {
        "id": {"type": "string", "description": "Identifier; generated when left out."},
    }
    for name, kind, description in EVENT_FIELDS:
        prop: Dict[str, Any] = {"type": kind, "description": description}
        if kind == "array":
            prop["items"] = {"type": "string"}
        if name.endswith("_time"):
            prop["format"] = "date-time"
        properties[name] = prop
    return {
        "type": "object",
        "title": "Event",
        "description": "A calendar event. Every field except id is required.",
        "properties": properties,
        "required": list(REQUIRED_EVENT_FIELDS),
        "additionalProperties": False,
    }


def openrpc_document(url: Optional[str] = None) -> Dict[str, Any]:
    """The OpenRPC 1.2 document answered by ``rpc.discover``."""
    event_ref = {"$ref": "#/components/schemas/Event"}
    doc: Dict[str, Any] = {
        "openrpc": "1.2.6",
        "info": {
            "title": SERVICE_TITLE,
            "version": SERVICE_VERSION,
            "description": "An in-memory calendar: create, read and list events.",
        },
        "methods": [
            {
                "name": "event.set",
                "summary": "Create an event, or replace the event with the same id.",
                "description": (
                    "data must be a complete Event object (a JSON object, not a string) with "
                    "every field filled: title, start_time, end_time, location, description, "
                    "attendees. Only id may be left out; it is then generated."
                ),
                "paramStructure": "by-name",
                "params": [
                    {"name": "data", "required": True, "description": "The complete event.",
                     "schema": event_ref},
                ],
                "result": {"name": "event", "description": "The stored event, with its id.",
                           "schema": event_ref},
            },
            {
                "name": "event.get",
                "summary": "Fetch one event by id.",
                "paramStructure": "by-name",
                "params": [
                    {"name": "id", "required": True, "description": "The event id.",
                     "schema": {"type": "string"}},
                ],
                "result": {"name": "event", "schema": event_ref},
                "errors": [{"code": NOT_FOUND, "message": "event not found"}],
            },
            {
                "name": "event.list",
                "summary": "List all events, ordered by start_time.",
                "paramStructure": "by-name",
                "params": [],
                "result": {"name": "events", "schema": {"type": "array", "items": event_ref}},
            },
            {
                "name": "event.delete",
                "summary": "Delete one event by id.",
                "paramStructure": "by-name",
                "params": [
                    {"name": "id", "required": True, "description": "The event id.",
                     "schema": {"type": "string"}},
                ],
                "result": {"name": "deleted", "schema": {"type": "boolean"}},
            },
        ],
        "components": {"schemas": {"Event": event_schema()}},
    }
    if url:
        doc["servers"] = [{"name": SERVICE_TITLE, "url": url}]
    return doc


def _parse_time(field: str, value: str) -> _dt.datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise RpcError(INVALID_PARAMS,
                       f"Invalid params: field `{field}` is not an ISO 8601 date-time: {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed


def validate_event(data: Any) -> Dict[str, Any]:
    """Check a complete Event object and return a normalised copy (raises RpcError)."""
    if isinstance(data, str):
        raise RpcError(INVALID_PARAMS,
                       "Invalid params: `data` must be a JSON object (an Event), not a string")
    if not isinstance(data, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: `data` must be a JSON object (an Event)")
    for name in REQUIRED_EVENT_FIELDS:
        if name not in data:
            raise RpcError(INVALID_PARAMS, f"Invalid params: missing field `{name}` in Event",
                           {"field": name, "required": REQUIRED_EVENT_FIELDS})
    unknown = sorted(set(data) - set(REQUIRED_EVENT_FIELDS) - {"id"})
    if unknown:
        raise RpcError(INVALID_PARAMS, f"Invalid params: unknown field `{unknown[0]}` in Event",
                       {"field": unknown[0]})
    for name, kind, _ in EVENT_FIELDS:
        value = data[name]
        if kind == "string" and not isinstance(value, str):
            raise RpcError(INVALID_PARAMS, f"Invalid params: field `{name}` must be a string")
        if kind == "array" and not (isinstance(value, list)
                                    and all(isinstance(item, str) for item in value)):
            raise RpcError(INVALID_PARAMS,
                           f"Invalid params: field `{name}` must be a list of strings")
    if not data["title"].strip():
        raise RpcError(INVALID_PARAMS, "Invalid params: field `title` must not be empty")
    start = _parse_time("start_time", data["start_time"])
    end = _parse_time("end_time", data["end_time"])
    if end < start:
        raise RpcError(INVALID_PARAMS, "Invalid params: `end_time` is before `start_time`")
    event_id = data.get("id")
    if event_id is not None and (not isinstance(event_id, str) or not event_id):
        raise RpcError(INVALID_PARAMS, "Invalid params: field `id` must be a non-empty string")
    event = {"id": event_id or uuid.uuid4().hex[:12]}
    event.update((name, data[name]) for name in REQUIRED_EVENT_FIELDS)
    event["attendees"] = list(data["attendees"])
    return event


class Calendar:
    """The in-memory store; thread safe because the server is threaded."""

    def __init__(self) -> None:
        self._events: Dict[str, Dict[str, Any]] = {}
        self._lock = threading.Lock()

    def set(self, data: Any) -> Dict[str, Any]:
        event = validate_event(data)
        with self._lock:
            self._events[event["id"]] = event
        return dict(event)

    def get(self, event_id: Any) -> Dict[str, Any]:
        if not isinstance(event_id, str):
            raise RpcError(INVALID_PARAMS, "Invalid params: `id` must be a string")
        with self._lock:
            event = self._events.get(event_id)
        if event is None:
            raise RpcError(NOT_FOUND, f"event not found: {event_id}")
        return dict(event)

    def list(self) -> List[Dict[str, Any]]:
        with self._lock:
            events = [dict(event) for event in self._events.values()]
        return sorted(events, key=lambda e: (_parse_time("start_time", e["start_time"]), e["id"]))

    def delete(self, event_id: Any) -> bool:
        if not isinstance(event_id, str):
            raise RpcError(INVALID_PARAMS, "Invalid params: `id` must be a string")
        with self._lock:
            return self._events.pop(event_id, None) is not None


def _bind(params: Any, names: List[str], required: List[str]) -> Dict[str, Any]:
    """Accept by-name (object) and by-position (array) params, as JSON-RPC allows."""
    if params is None:
        params = {}
    if isinstance(params, list):
        if len(params) > len(names):
            raise RpcError(INVALID_PARAMS, f"Invalid params: expected at most {len(names)}")
        params = dict(zip(names, params))
    if not isinstance(params, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: params must be an object or an array")
    for name in required:
        if name not in params:
            raise RpcError(INVALID_PARAMS, f"Invalid params: missing parameter `{name}`")
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise RpcError(INVALID_PARAMS, f"Invalid params: unknown parameter `{unknown[0]}`")
    return params


class CalendarRpc:
    """Dispatches JSON-RPC requests to a Calendar."""

    def __init__(self, calendar: Optional[Calendar] = None, url: Optional[str] = None) -> None:
        self.calendar = calendar or Calendar()
        self.url = url
        self._methods: Dict[str, Callable[[Any], Any]] = {
            "event.set": self._event_set,
            "event.get": self._event_get,
            "event.list": self._event_list,
            "event.delete": self._event_delete,
            "rpc.discover": self._discover,
        }

    def _event_set(self, params: Any) -> Dict[str, Any]:
        return self.calendar.set(_bind(params, ["data"], ["data"])["data"])

    def _event_get(self, params: Any) -> Dict[str, Any]:
        return self.calendar.get(_bind(params, ["id"], ["id"])["id"])

    def _event_list(self, params: Any) -> List[Dict[str, Any]]:
        _bind(params, [], [])
        return self.calendar.list()

    def _event_delete(self, params: Any) -> bool:
        return self.calendar.delete(_bind(params, ["id"], ["id"])["id"])

    def _discover(self, params: Any) -> Dict[str, Any]:
        _bind(params, [], [])
        return openrpc_document(self.url)

    def handle(self, body: bytes) -> Optional[Any]:
        """Answer one HTTP body: a request, a notification or a batch."""
        try:
            message = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return _error_response(None, RpcError(PARSE_ERROR, f"Parse error: {exc}"))
        if isinstance(message, list):
            if not message:
                return _error_response(None, RpcError(INVALID_REQUEST, "Invalid Request: empty batch"))
            answers = [self._handle_one(item) for item in message]
            answers = [answer for answer in answers if answer is not None]
            return answers or None
        return self._handle_one(message)

    def _handle_one(self, message: Any) -> Optional[Dict[str, Any]]:
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" \
                or not isinstance(message.get("method"), str):
            request_id = message.get("id") if isinstance(message, dict) else None
            return _error_response(request_id, RpcError(
                INVALID_REQUEST, "Invalid Request: expected a JSON-RPC 2.0 request object"))
        is_notification = "id" not in message
        request_id = message.get("id")
        method = self._methods.get(message["method"])
        try:
            if method is None:
                raise RpcError(METHOD_NOT_FOUND, f"Method not found: {message['method']}")
            result = method(message.get("params"))
        except RpcError as exc:
            return None if is_notification else _error_response(request_id, exc)
        except Exception as exc:  # a bug here must not kill the server thread
            return None if is_notification else _error_response(
                request_id, RpcError(INTERNAL_ERROR, f"Internal error: {exc}"))
        if is_notification:
            return None
        return {"jsonrpc": "2.0", "id": request_id, "result": result}


def _error_response(request_id: Any, error: RpcError) -> Dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def make_handler(rpc: CalendarRpc, quiet: bool = False) -> type:
    """The HTTP request handler class bound to one CalendarRpc."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "herologic-calendar/" + SERVICE_VERSION
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            if self.path.split("?", 1)[0] != RPC_PATH:
                self._send(404, {"error": f"not found; POST JSON-RPC to {RPC_PATH}"})
                return
            self._log_traceparent()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._send(413, {"error": "request body too large"})
                return
            answer = rpc.handle(self.rfile.read(length))
            if answer is None:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(200, answer)

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path in ("/healthz", "/readyz"):
                self._send(200, {"status": "ok"})
            elif path in (RPC_PATH, "/openrpc.json"):
                self._send(200, openrpc_document(rpc.url))
            else:
                self._send(404, {"error": "not found"})

        def _log_traceparent(self) -> None:
            """Log the caller's W3C `traceparent` header: an instrumented service would start its own
            span under that parent (same trace id, the caller's span id as parent id)."""
            traceparent = self.headers.get("traceparent")
            if traceparent is not None and not quiet:
                shown = "".join(c if c.isprintable() else "?" for c in traceparent[:128])
                sys.stderr.write(f"calendar: traceparent {shown}\n")
                sys.stderr.flush()

        def _send(self, status: int, payload: Any) -> None:
            body = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt: str, *args: Any) -> None:
            if not quiet:
                sys.stderr.write("calendar: " + (fmt % args) + "\n")

    return Handler


def make_server(host: str = "0.0.0.0", port: int = 0, quiet: bool = False,
                public_url: Optional[str] = None) -> ThreadingHTTPServer:
    """A ready-to-serve calendar HTTP server (port 0 picks a free port)."""
    rpc = CalendarRpc(url=public_url)
    server = ThreadingHTTPServer((host, port), make_handler(rpc, quiet))
    server.daemon_threads = True
    server.calendar_rpc = rpc  # type: ignore[attr-defined]
    return server


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--public-url", default=os.environ.get("PUBLIC_URL"),
                        help="URL announced in the OpenRPC document's servers list")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.quiet, args.public_url)
    host, port = server.server_address[:2]
    # Tests and the Pod wait for this line before calling the service.
    print(f"calendar listening on http://{host}:{port}{RPC_PATH}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
