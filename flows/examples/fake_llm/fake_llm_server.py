#!/usr/bin/env python3
"""An OpenAI-compatible chat-completions server that answers from a script.

A test double for flows that call an LLM: the tests decide, reply by reply,
what the "model" says (text, an HTTP error, a malformed body, a slow answer),
and afterwards read back every request the server received.

    python3 fake_llm_server.py --port 8090 --script replies.json [--api-key KEY]

Script (JSON file, or the body of POST /admin/script): either a list of
replies or an object ``{"replies": [...], "default": <reply>, "model": "..."}``.
Replies are served in order, one per chat-completions request; once they run
out the ``default`` reply is served for every further request, or, without a
default, HTTP 500 "script exhausted". A reply is one of

- a string, or ``{"content": "text"}``: a normal completion with that text;
- ``{"status": 401|429|500|..., "body": <json or text>, "headers": {...}}``:
  an HTTP error (OpenAI-style error body when ``body`` is left out);
- ``{"raw": "text"}``: HTTP 200 with that body verbatim (malformed JSON);
- ``{"json": {...}}``: HTTP 200 with that JSON body verbatim (e.g. no choices).

Any reply object may also carry ``"delay": seconds`` (answer late),
``"usage": {"prompt_tokens": n, "completion_tokens": m}`` (otherwise counted
from the text, about four characters a token) and ``"finish_reason": "length"``
(a reply the length limit cut; default "stop"). The request's other fields
(``response_format``, ``max_tokens``, ``temperature``) are recorded, not obeyed:
script an HTTP 400 reply to play an endpoint that refuses one. Requests without the right
``Authorization: Bearer KEY`` get 401 when ``--api-key`` is given and do not
consume a reply.

Endpoints: POST /v1/chat/completions (also /chat/completions), GET /v1/models,
GET /healthz, GET /admin/requests, POST /admin/script, POST /admin/reset.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

DEFAULT_MODEL = "fake-gpt"
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
MAX_BODY_BYTES = 8 << 20


def count_tokens(text: str) -> int:
    """A rough, deterministic token count (about four characters a token)."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


def _message_text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, list):  # content parts
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def normalise_script(script: Any) -> Dict[str, Any]:
    """Accept a bare list or the object form; check every reply's shape."""
    if isinstance(script, list):
        script = {"replies": script}
    if not isinstance(script, dict) or not isinstance(script.get("replies", []), list):
        raise ValueError("script must be a list of replies or an object with a 'replies' list")
    replies = [_normalise_reply(reply) for reply in script.get("replies", [])]
    default = script.get("default")
    return {
        "replies": replies,
        "default": None if default is None else _normalise_reply(default),
        "model": script.get("model"),
    }


def _normalise_reply(reply: Any) -> Dict[str, Any]:
    if isinstance(reply, str):
        return {"content": reply}
    if not isinstance(reply, dict):
        raise ValueError(f"a reply must be a string or an object, got {reply!r}")
    if not any(key in reply for key in ("content", "status", "raw", "json")):
        raise ValueError(f"a reply needs one of content, status, raw, json: {reply!r}")
    return dict(reply)


class FakeLlm:
    """The scripted state shared by the request threads."""

    def __init__(self, script: Any = None, api_key: Optional[str] = None) -> None:
        self.api_key = api_key
        self._lock = threading.Lock()
        self._script = normalise_script(script if script is not None else [])
        self._position = 0
        self._requests: List[Dict[str, Any]] = []

    def set_script(self, script: Any) -> None:
        normalised = normalise_script(script)
        with self._lock:
            self._script = normalised
            self._position = 0
            self._requests = []

    def reset(self) -> None:
        with self._lock:
            self._position = 0
            self._requests = []

    def requests(self) -> List[Dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    def record(self, entry: Dict[str, Any]) -> None:
        with self._lock:
            entry["index"] = len(self._requests)
            self._requests.append(entry)

    def next_reply(self) -> Optional[Dict[str, Any]]:
        """The next scripted reply (None when exhausted without a default)."""
        with self._lock:
            replies = self._script["replies"]
            if self._position < len(replies):
                reply = replies[self._position]
                self._position += 1
                return reply
            self._position += 1
            return self._script["default"]

    @property
    def model(self) -> Optional[str]:
        return self._script.get("model")


def completion_body(reply: Dict[str, Any], request: Dict[str, Any],
                    model: str) -> Dict[str, Any]:
    """An OpenAI chat.completion object for a content reply."""
    content = str(reply.get("content", ""))
    messages = request.get("messages") or []
    prompt_tokens = sum(count_tokens(_message_text(m)) + 4 for m in messages)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": count_tokens(content)}
    usage.update(reply.get("usage") or {})
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:24],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": reply.get("finish_reason", "stop"),
        }],
        "usage": usage,
    }


def error_body(status: int, message: Optional[str] = None) -> Dict[str, Any]:
    kinds = {401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
             429: ("rate_limit_exceeded", "rate_limit_exceeded", "Rate limit reached, retry later."),
             500: ("server_error", None, "The server had an error processing your request."),
             503: ("server_error", None, "The engine is currently overloaded.")}
    kind, code, text = kinds.get(status, ("invalid_request_error", None, f"HTTP {status}"))
    return {"error": {"message": message or text, "type": kind, "param": None, "code": code}}


def make_handler(llm: FakeLlm, quiet: bool = False) -> type:
    """The HTTP request handler class bound to one FakeLlm."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "herologic-fake-llm/1.0"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._send_json(200, {"status": "ok"})
            elif path == "/admin/requests":
                self._send_json(200, llm.requests())
            elif path in ("/v1/models", "/models"):
                self._send_json(200, {"object": "list", "data": [
                    {"id": llm.model or DEFAULT_MODEL, "object": "model", "owned_by": "fake"}]})
            else:
                self._send_json(404, {"error": {"message": f"no route GET {path}"}})

        def do_POST(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            raw = self._read_body()
            if raw is None:
                return
            if path == "/admin/script":
                try:
                    llm.set_script(json.loads(raw.decode("utf-8")))
                except ValueError as exc:
                    self._send_json(400, {"error": {"message": f"bad script: {exc}"}})
                    return
                self._send_json(200, {"status": "ok"})
            elif path == "/admin/reset":
                llm.reset()
                self._send_json(200, {"status": "ok"})
            elif path in CHAT_PATHS:
                self._chat(path, raw)
            else:
                self._send_json(404, {"error": {"message": f"no route POST {path}"}})

        def _chat(self, path: str, raw: bytes) -> None:
            auth = self.headers.get("Authorization")
            entry: Dict[str, Any] = {"path": path, "authorization": auth, "time": time.time()}
            try:
                request = json.loads(raw.decode("utf-8"))
            except ValueError:
                entry.update(body_text=raw.decode("utf-8", "replace"), status=400)
                llm.record(entry)
                self._send_json(400, error_body(400, "request body is not valid JSON"))
                return
            entry["body"] = request
            if llm.api_key is not None and auth != f"Bearer {llm.api_key}":
                entry["status"] = 401
                llm.record(entry)
                self._send_json(401, error_body(401))
                return
            problem = _check_request(request)
            if problem:
                entry["status"] = 400
                llm.record(entry)
                self._send_json(400, error_body(400, problem))
                return
            reply = llm.next_reply()
            if reply is None:
                entry["status"] = 500
                llm.record(entry)
                self._send_json(500, error_body(500, "fake LLM script exhausted"))
                return
            entry["reply"] = reply
            entry["status"] = int(reply.get("status", 200))
            llm.record(entry)
            if reply.get("delay"):
                time.sleep(float(reply["delay"]))
            self._answer(reply, request)

        def _answer(self, reply: Dict[str, Any], request: Dict[str, Any]) -> None:
            status = int(reply.get("status", 200))
            headers = reply.get("headers") or {}
            if "raw" in reply:
                self._send(status, str(reply["raw"]).encode("utf-8"), "application/json", headers)
            elif "json" in reply:
                self._send_json(status, reply["json"], headers)
            elif status >= 400:
                body = reply.get("body")
                if body is None:
                    body = error_body(status)
                if isinstance(body, str):
                    self._send(status, body.encode("utf-8"), "text/plain", headers)
                else:
                    self._send_json(status, body, headers)
            else:
                model = llm.model or request.get("model") or DEFAULT_MODEL
                self._send_json(status, completion_body(reply, request, model), headers)

        def _read_body(self) -> Optional[bytes]:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._send_json(413, {"error": {"message": "request body too large"}})
                return None
            return self.rfile.read(length)

        def _send_json(self, status: int, payload: Any,
                       headers: Optional[Dict[str, str]] = None) -> None:
            self._send(status, json.dumps(payload).encode("utf-8"), "application/json", headers)

        def _send(self, status: int, body: bytes, content_type: str,
                  headers: Optional[Dict[str, str]] = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, str(value))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. its timeout hit during a delay)

        def log_message(self, fmt: str, *args: Any) -> None:
            if not quiet:
                sys.stderr.write("fake-llm: " + (fmt % args) + "\n")

    return Handler


def _check_request(request: Any) -> Optional[str]:
    """What OpenAI would reject with 400, so a broken client fails here too."""
    if not isinstance(request, dict):
        return "request body must be a JSON object"
    if not isinstance(request.get("model"), str) or not request["model"]:
        return "you must provide a model parameter"
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in (
                "system", "user", "assistant", "tool", "developer"):
            return f"invalid message: {message!r}"[:200]
    if request.get("stream"):
        return "this fake server does not stream"
    return None


def make_server(host: str = "127.0.0.1", port: int = 0, script: Any = None,
                api_key: Optional[str] = None, quiet: bool = False) -> ThreadingHTTPServer:
    """A ready-to-serve fake LLM server (port 0 picks a free port)."""
    llm = FakeLlm(script, api_key)
    server = ThreadingHTTPServer((host, port), make_handler(llm, quiet))
    server.daemon_threads = True
    server.fake_llm = llm  # type: ignore[attr-defined]
    return server


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8090")))
    parser.add_argument("--script", help="JSON file with the replies (default: none yet)")
    parser.add_argument("--api-key", default=os.environ.get("FAKE_LLM_API_KEY"),
                        help="require 'Authorization: Bearer KEY'")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    script = None
    if args.script:
        with open(args.script, encoding="utf-8") as handle:
            script = json.load(handle)
    server = make_server(args.host, args.port, script, args.api_key, args.quiet)
    host, port = server.server_address[:2]
    # Tests wait for this line before sending requests.
    print(f"fake-llm listening on http://{host}:{port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
