"""JsonRpcClient against a real local JSON-RPC HTTP server, and instrument() spans."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import MemoryRun  # noqa: E402

from herologic import JsonRpcClient, JsonRpcError, instrument  # noqa: E402
from herologic.rpc import JsonRpcTimeout, JsonRpcTransportError  # noqa: E402


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, dict(self.headers), body))
        method, params = body.get("method"), body.get("params")
        if self.path == "/html500":
            return self._send(500, b"<html>broken</html>", "text/html")
        if self.path == "/notrpc":
            return self._send(200, b'{"hello": 1}')
        if method == "slow":
            time.sleep(params["seconds"])
        if method == "fail":
            answer = {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32001, "message": "no such thing",
                                                                   "data": {"id": 7}}}
            return self._send(200, json.dumps(answer).encode())
        if method == "fail500":
            answer = {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32603, "message": "internal"}}
            return self._send(500, json.dumps(answer).encode())
        answer = {"jsonrpc": "2.0", "id": body["id"], "result": {"method": method, "params": params}}
        self._send(200, json.dumps(answer).encode())

    def _send(self, status, data, kind="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.requests = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(server, path="/rpc"):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_call_sugar_headers_and_errors(server):
    client = JsonRpcClient(url(server), timeout=5, headers={"X-Token": "t1"})
    assert client.call("echo", {"a": 1}) == {"method": "echo", "params": {"a": 1}}
    assert client.event.set(title="x") == {"method": "event.set", "params": {"title": "x"}}
    assert client.sum(1, 2) == {"method": "sum", "params": [1, 2]}
    path, headers, body = server.requests[-1]
    assert path == "/rpc" and headers["X-Token"] == "t1" and body["jsonrpc"] == "2.0"
    assert [r[2]["id"] for r in server.requests[-3:]] == [1, 2, 3]
    with pytest.raises(JsonRpcError) as err:
        client.call("fail")
    assert err.value.code == -32001 and err.value.message == "no such thing" and err.value.data == {"id": 7}
    with pytest.raises(JsonRpcError) as err:
        client.call("fail500")
    assert err.value.code == -32603
    with pytest.raises(JsonRpcTransportError, match=r"HTTP 500 .*html500.*broken"):
        JsonRpcClient(url(server, "/html500")).call("x")
    with pytest.raises(JsonRpcTransportError, match="did not answer JSON-RPC"):
        JsonRpcClient(url(server, "/notrpc")).call("x")


def test_timeout_and_unreachable_name_the_url(server):
    client = JsonRpcClient(url(server), timeout=0.3)
    started = time.monotonic()
    with pytest.raises(JsonRpcTimeout, match=r"slow: no answer from http://127\.0\.0\.1:\d+/rpc within 0\.3s"):
        client.call("slow", {"seconds": 2})
    assert time.monotonic() - started < 1.5
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(JsonRpcTransportError, match=f"cannot reach http://127.0.0.1:{port}/"):
        JsonRpcClient(f"http://127.0.0.1:{port}/", timeout=2).call("x")
    assert isinstance(JsonRpcTimeout("x"), TimeoutError)


def test_instrumented_jsonrpc_client_spans(server):
    client = instrument(JsonRpcClient(url(server), timeout=0.3), service="calendar")
    assert instrument(client) is client
    with MemoryRun() as run:
        assert client.call("event.list", {"day": 1})["method"] == "event.list"
        assert client.event.get(id=3)["params"] == {"id": 3}
        with pytest.raises(JsonRpcError):
            client.call("fail", [1])
        with pytest.raises(JsonRpcTimeout):
            client.call("slow", {"seconds": 1})
    spans = run.of_type("span_start")
    assert [s["name"] for s in spans[1:]] == ["calendar.event.list", "calendar.event.get", "calendar.fail", "calendar.slow"]
    first = spans[1]
    assert first["kind"] == "rpc" and first["tags"]["rpc.system"] == "jsonrpc"
    assert first["tags"]["rpc.service"] == "calendar" and first["tags"]["rpc.method"] == "event.list"
    assert first["tags"]["rpc.params"] == {"day": 1} and isinstance(first["tags"]["rpc.jsonrpc.request_id"], int)
    assert run.tags_of(first["span_id"])["rpc.result"] == {"method": "event.list", "params": {"day": 1}}
    fail_id = spans[3]["span_id"]
    assert run.tags_of(fail_id)["rpc.jsonrpc.error_code"] == -32001
    fail_end = run.end_of(fail_id)
    assert fail_end["status"] == "error" and fail_end["error"]["type"] == "JsonRpcError"
    slow_end = run.end_of(spans[4]["span_id"])
    assert slow_end["error"]["type"] == "JsonRpcTimeout" and "within 0.3s" in slow_end["error"]["message"]
    assert "rpc.jsonrpc.error_code" not in run.tags_of(spans[4]["span_id"])


def test_default_service_name_is_the_host_label():
    assert JsonRpcClient("http://hero-osis.apps.svc.cluster.local:8080/rpc").service_name == "hero-osis"
    assert JsonRpcClient("http://127.0.0.1:9/rpc").service_name == "127.0.0.1"


class Weather:
    """A plain Python client."""

    unit = "C"

    def __init__(self):
        self.calls = 0

    def forecast(self, city, days=1):
        self.calls += 1
        return {"city": city, "days": days, "unit": self.unit}

    def broken(self):
        raise RuntimeError("sensor down")

    async def later(self, x):
        await asyncio.sleep(0)
        return x

    def _private(self):
        return "hidden"

    @property
    def prop(self):
        raise AssertionError("instrument must not evaluate properties")


def test_instrument_plain_python_object():
    weather = instrument(Weather())
    assert isinstance(weather, Weather)
    with MemoryRun() as run:
        assert weather.forecast("Oslo", days=3) == {"city": "Oslo", "days": 3, "unit": "C"}
        with pytest.raises(RuntimeError):
            weather.broken()
        assert asyncio.run(weather.later(4)) == 4
        assert weather._private() == "hidden"
    names = [s["name"] for s in run.of_type("span_start")[1:]]
    assert names == ["Weather.forecast", "Weather.broken", "Weather.later"]
    forecast = run.span("Weather.forecast")
    assert forecast["tags"]["rpc.system"] == "python" and forecast["tags"]["rpc.method"] == "forecast"
    assert forecast["tags"]["rpc.params"] == {"city": "Oslo", "days": 3}
    assert run.tags_of(forecast["span_id"])["rpc.result"]["city"] == "Oslo"
    assert run.end_of(run.span("Weather.broken")["span_id"])["error"]["message"] == "sensor down"
    assert weather.calls == 1


def test_instrument_outside_a_run_is_transparent_and_slots_get_a_proxy(server):
    client = instrument(JsonRpcClient(url(server), timeout=5))
    assert client.call("echo")["method"] == "echo"

    class Slotted:
        __slots__ = ()

        def ping(self):
            return "pong"

    proxy = instrument(Slotted(), service="slot")
    with MemoryRun() as run:
        assert proxy.ping() == "pong"
    assert run.span("slot.ping")["kind"] == "rpc"


def test_big_results_are_bounded(server):
    client = instrument(JsonRpcClient(url(server), timeout=5), service="s")
    with MemoryRun() as run:
        client.call("echo", {"blob": "q" * 200_000})
    start = run.span("s.echo")
    assert len(start["tags"]["rpc.params"]["blob"]) <= 16384
    assert len(json.dumps(run.tags_of(start["span_id"])["rpc.result"])) < 20_000
