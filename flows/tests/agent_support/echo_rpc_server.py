#!/usr/bin/env python3
"""A JSON-RPC 2.0 server for testing generated client stubs: it serves an OpenRPC document
(rpc.discover) and answers every method the document declares with what it received,
`{"method": ..., "params": ...}` (params exactly as sent, `"absent"` when left out).
A method the document does not declare gets error -32601.

    python3 echo_rpc_server.py --document doc.json [--host 127.0.0.1] [--port 0]

Prints "echo-rpc listening on http://HOST:PORT/rpc" once ready.
"""
from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict


def declared_methods(document: Any) -> set:
    """Method names of the document, following a `$ref` of a method to a local pointer."""
    names = set()
    for method in document.get("methods", []) if isinstance(document, dict) else []:
        while isinstance(method, dict) and "$ref" in method:
            node: Any = document
            for part in method["$ref"].lstrip("#").split("/"):
                if part:
                    node = node.get(part, {}) if isinstance(node, dict) else {}
            method = node
        if isinstance(method, dict) and isinstance(method.get("name"), str):
            names.add(method["name"])
    return names


def answer(document: Any, request: Any) -> Dict[str, Any]:
    if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
    method = request["method"]
    if method == "rpc.discover":
        return {"jsonrpc": "2.0", "id": request.get("id"), "result": document}
    if method not in declared_methods(document):
        return {"jsonrpc": "2.0", "id": request.get("id"),
                "error": {"code": -32601, "message": f"Method not found: {method}"}}
    return {"jsonrpc": "2.0", "id": request.get("id"),
            "result": {"method": method, "params": request.get("params", "absent")}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.document, encoding="utf-8") as handle:
        document = json.load(handle)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (a readiness probe)
            body = b'{"status": "ok"}' if self.path == "/healthz" else b'{"error": "POST JSON-RPC to /rpc"}'
            self.send_response(200 if self.path == "/healthz" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length))
            except ValueError:
                reply = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}}
            else:
                reply = answer(document, request)
            body = json.dumps(reply).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"echo-rpc listening on http://{host}:{port}/rpc", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
