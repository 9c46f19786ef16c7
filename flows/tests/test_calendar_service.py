"""The demo calendar: validation like the original OSIS, JSON-RPC framing,
its OpenRPC document, and the real process started the way the Pod starts it."""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import CALENDAR_SCRIPT, CalendarServer, RpcFailure, rpc_call  # noqa: E402

_spec = importlib.util.spec_from_file_location("calendar_service", CALENDAR_SCRIPT)
calendar_service = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calendar_service)  # type: ignore[union-attr]

COMPLETE = {
    "title": "Team sync",
    "start_time": "2026-05-07T10:00:00Z",
    "end_time": "2026-05-07T10:30:00Z",
    "location": "Room 1",
    "description": "Weekly",
    "attendees": ["ann@example.com", "bob@example.com"],
}


@pytest.fixture()
def server():
    srv = calendar_service.make_server("127.0.0.1", 0, quiet=True)
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/rpc"
    srv.shutdown()
    srv.server_close()


def test_set_then_get_and_list(server):
    stored = rpc_call(server, "event.set", {"data": COMPLETE})
    assert stored["id"] and stored["title"] == "Team sync"
    assert rpc_call(server, "event.get", {"id": stored["id"]}) == stored
    assert rpc_call(server, "event.list", {}) == [stored]


def test_set_with_explicit_id_replaces(server):
    rpc_call(server, "event.set", {"data": dict(COMPLETE, id="e1")})
    rpc_call(server, "event.set", {"data": dict(COMPLETE, id="e1", title="Moved")})
    events = rpc_call(server, "event.list")
    assert [(e["id"], e["title"]) for e in events] == [("e1", "Moved")]


@pytest.mark.parametrize("field", calendar_service.REQUIRED_EVENT_FIELDS)
def test_every_missing_field_is_named(server, field):
    partial = {k: v for k, v in COMPLETE.items() if k != field}
    with pytest.raises(RpcFailure) as err:
        rpc_call(server, "event.set", {"data": partial})
    assert err.value.error["code"] == -32602
    assert f"missing field `{field}`" in err.value.error["message"]
    assert rpc_call(server, "event.list") == []


def test_data_as_json_string_is_rejected(server):
    # The original system's generated stub sent {"data": "<json string>"}.
    with pytest.raises(RpcFailure) as err:
        rpc_call(server, "event.set", {"data": json.dumps(COMPLETE)})
    assert "not a string" in err.value.error["message"]


@pytest.mark.parametrize("change, text", [
    ({"attendees": "ann"}, "`attendees` must be a list of strings"),
    ({"title": 3}, "`title` must be a string"),
    ({"title": "  "}, "`title` must not be empty"),
    ({"start_time": "tomorrow"}, "`start_time` is not an ISO 8601"),
    ({"end_time": "2026-05-07T09:00:00Z"}, "`end_time` is before `start_time`"),
    ({"colour": "red"}, "unknown field `colour`"),
])
def test_bad_field_values(server, change, text):
    with pytest.raises(RpcFailure) as err:
        rpc_call(server, "event.set", {"data": dict(COMPLETE, **change)})
    assert text in err.value.error["message"]


def test_positional_params_and_errors(server):
    stored = rpc_call(server, "event.set", [COMPLETE])
    assert rpc_call(server, "event.get", [stored["id"]])["title"] == "Team sync"
    with pytest.raises(RpcFailure) as err:
        rpc_call(server, "event.get", {"id": "nope"})
    assert err.value.error["code"] == -32004
    with pytest.raises(RpcFailure) as err:
        rpc_call(server, "event.set", {})
    assert "missing parameter `data`" in err.value.error["message"]
    with pytest.raises(RpcFailure) as err:
        rpc_call(server, "event.frobnicate", {})
    assert err.value.error["code"] == -32601


def _post(url, raw):
    request = urllib.request.Request(url, data=raw, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.read()


def test_framing_errors_batches_and_notifications(server):
    status, body = _post(server, b"{not json")
    assert json.loads(body)["error"]["code"] == -32700
    status, body = _post(server, json.dumps({"id": 1, "method": "event.list"}).encode())
    assert json.loads(body)["error"]["code"] == -32600
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "event.list"},
             {"jsonrpc": "2.0", "method": "event.list"},
             {"jsonrpc": "2.0", "id": 2, "method": "nope"}]
    status, body = _post(server, json.dumps(batch).encode())
    answers = json.loads(body)
    assert [a["id"] for a in answers] == [1, 2] and "error" in answers[1]
    status, body = _post(server, json.dumps(batch[1]).encode())
    assert status == 204 and body == b""
    with pytest.raises(urllib.error.HTTPError) as err:
        _post(server.replace("/rpc", "/elsewhere"), b"{}")
    assert err.value.code == 404


def test_openrpc_document(server):
    doc = rpc_call(server, "rpc.discover")
    assert doc["openrpc"].startswith("1.2")
    assert doc["info"]["title"] == "calendar"
    methods = {m["name"]: m for m in doc["methods"]}
    assert {"event.set", "event.get", "event.list"} <= set(methods)
    data = methods["event.set"]["params"][0]
    assert data["name"] == "data" and data["required"] is True
    assert data["schema"] == {"$ref": "#/components/schemas/Event"}
    event = doc["components"]["schemas"]["Event"]
    assert event["required"] == ["title", "start_time", "end_time", "location", "description",
                                 "attendees"]
    assert set(event["properties"]) == {"id", *event["required"]}
    assert "result" in methods["event.list"] and methods["event.list"]["params"] == []


def test_real_process_serves_rpc():
    with CalendarServer() as calendar:
        stored = calendar.call("event.set", {"data": COMPLETE})
        assert calendar.call("event.list")[0]["id"] == stored["id"]
        with urllib.request.urlopen(f"http://127.0.0.1:{calendar.port}/healthz", timeout=5) as r:
            assert json.loads(r.read()) == {"status": "ok"}
