"""KubeClient and play_run_async: the not-in-cluster errors, and the request a child Play makes
(against a tiny local fake API server; the lead's tests use a real one)."""
from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import MemoryRun  # noqa: E402

from herologic import PlayError, play_run_async  # noqa: E402
from herologic.kube import KubeApiError, KubeClient, KubeError, KubeUnavailable  # noqa: E402
from herologic.plays import child_play_manifest  # noqa: E402


@pytest.fixture
def no_cluster(monkeypatch, tmp_path):
    monkeypatch.setenv("HEROLOGIC_SA_DIR", str(tmp_path / "no-sa"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    return tmp_path


def test_not_in_cluster_errors_are_clear(no_cluster):
    assert KubeClient.available() is False
    with pytest.raises(KubeUnavailable, match="no service account token at .*no-sa/token"):
        KubeClient.in_cluster()
    with MemoryRun() as run:
        with pytest.raises(KubeUnavailable, match="serviceAccountName"):
            play_run_async("hello", {"name": "x"})
    assert [e["name"] for e in run.of_type("span_start")] == ["test"]  # no half-made child span


def test_token_without_host_is_unavailable(no_cluster, monkeypatch):
    sa = no_cluster / "sa"
    sa.mkdir()
    (sa / "token").write_text("t")
    monkeypatch.setenv("HEROLOGIC_SA_DIR", str(sa))
    assert KubeClient.available() is False
    with pytest.raises(KubeUnavailable, match="KUBERNETES_SERVICE_HOST"):
        KubeClient.in_cluster()
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    (sa / "namespace").write_text("team-a\n")
    client = KubeClient.in_cluster()
    assert KubeClient.available() and client.namespace == "team-a" and client.base_url == "https://10.0.0.1:443"


class _FakeApi(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.path, self.headers.get("Authorization"), body))
        refusals = {
            "forbidden": (403, "Forbidden", "plays is forbidden"),
            # what a ValidatingAdmissionPolicy limiting child Plays answers
            "too-deep": (422, "Invalid", 'plays.herologic.io "hello-" is invalid: child Plays nest at most 3 deep'),
            "flaky": (500, "InternalError", "etcdserver: request timed out"),
        }
        if body["spec"]["workflow"] in refusals:
            status, reason, message = refusals[body["spec"]["workflow"]]
            return self._send(status, {"kind": "Status", "reason": reason, "message": message})
        created = dict(body)
        created["metadata"] = {**body["metadata"], "name": body["metadata"].get("name") or "hello-x7k2q"}
        self._send(201, created)

    def do_GET(self):
        self._send(404, {"kind": "Status", "reason": "NotFound", "message": "not here"})

    def _send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake_api():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _FakeApi)
    httpd.seen = []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_play_run_async_request_and_child_span(fake_api, tmp_path, monkeypatch):
    token = tmp_path / "token"
    token.write_text("secret-1\n")
    client = KubeClient(f"http://127.0.0.1:{fake_api.server_address[1]}", token_file=str(token), namespace="ns1")
    monkeypatch.setenv("HEROLOGIC_PLAY_NAME", "parent-abc")
    monkeypatch.setenv("HEROLOGIC_PLAY_UID", "0b6c2f4e-1d2a-4c55-9f1e-5a7b8c9d0e1f")
    monkeypatch.delenv("HEROLOGIC_PLAY_NAMESPACE", raising=False)
    with MemoryRun() as run:
        name = play_run_async("hello", {"name": "child"}, client=client)
        token.write_text("secret-2")  # rotated tokens are re-read
        pinned = play_run_async("hello", {}, name="fixed", version="hello-v2", client=client)
        with pytest.raises(PlayError) as forbidden:
            play_run_async("forbidden", {}, client=client)
    assert name == "hello-x7k2q" and pinned == "fixed"
    assert str(forbidden.value) == ("the API server refused the child Play of workflow 'forbidden' in namespace ns1 "
                                    "(HTTP 403 Forbidden): plays is forbidden")
    spans = [e for e in run.of_type("span_start") if e["kind"] == "child-play"]
    path, auth, body = fake_api.seen[0]
    assert path == "/apis/herologic.io/v1alpha1/namespaces/ns1/plays" and auth == "Bearer secret-1"
    # the child continues this trace under the child-play span that started it
    traceparent = f"00-{run.run.trace_id}-{spans[0]['span_id']}-01"
    assert body == {"apiVersion": "herologic.io/v1alpha1", "kind": "Play",
                    "metadata": {"generateName": "hello-", "labels": {"herologic.io/parent-play": "parent-abc"},
                                 "annotations": {"herologic.io/traceparent": traceparent},
                                 "ownerReferences": [{"apiVersion": "herologic.io/v1alpha1", "kind": "Play",
                                                      "name": "parent-abc",
                                                      "uid": "0b6c2f4e-1d2a-4c55-9f1e-5a7b8c9d0e1f",
                                                      "controller": False, "blockOwnerDeletion": False}]},
                    "spec": {"workflow": "hello", "inputs": {"name": "child"}}}
    _, auth, body = fake_api.seen[1]
    assert auth == "Bearer secret-2" and body["metadata"]["name"] == "fixed" and body["spec"]["version"] == "hello-v2"
    assert body["metadata"]["annotations"] == {"herologic.io/traceparent": f"00-{run.run.trace_id}-{spans[1]['span_id']}-01"}
    assert len(spans) == 3 and spans[0]["name"] == "play hello"
    assert run.tags_of(spans[0]["span_id"])["herologic.child_play"] == "ns1/hello-x7k2q"
    assert run.tags_of(spans[1]["span_id"])["herologic.child_play"] == "ns1/fixed"
    assert run.end_of(spans[2]["span_id"])["status"] == "error"
    with pytest.raises(KubeApiError) as err:
        client.get("/api/v1/namespaces/ns1/services/x")
    assert err.value.status == 404 and "/api/v1/namespaces/ns1/services/x" in str(err.value)


def test_refused_child_play_names_the_servers_message(fake_api, tmp_path, monkeypatch):
    client = KubeClient(f"http://127.0.0.1:{fake_api.server_address[1]}", token="t", namespace="ns1")
    monkeypatch.setenv("HEROLOGIC_PLAY_NAMESPACE", "team-a")
    with MemoryRun() as run:
        with pytest.raises(PlayError) as invalid:
            play_run_async("too-deep", {}, client=client)
        with pytest.raises(KubeApiError) as flaky:  # not a refusal of the Play itself: the plain API error
            play_run_async("flaky", {}, client=client)
    assert str(invalid.value) == ("the API server refused the child Play of workflow 'too-deep' in namespace team-a "
                                  '(HTTP 422 Invalid): plays.herologic.io "hello-" is invalid: '
                                  "child Plays nest at most 3 deep")
    assert invalid.value.status == 422 and invalid.value.reason == "Invalid"
    assert not isinstance(flaky.value, PlayError) and flaky.value.status == 500
    spans = [e for e in run.of_type("span_start") if e["kind"] == "child-play"]
    error = run.end_of(spans[0]["span_id"])["error"]
    assert error["type"] == "PlayError" and "child Plays nest at most 3 deep" in error["message"]


def test_child_play_without_a_parent_has_no_owner():
    # run locally (no HEROLOGIC_PLAY_NAME): nothing to own it; a name without a uid cannot be a reference
    assert "ownerReferences" not in child_play_manifest("hello", {}, parent=None)["metadata"]
    orphan = child_play_manifest("hello", {}, parent="p1", parent_uid=None)["metadata"]
    assert orphan == {"generateName": "hello-", "labels": {"herologic.io/parent-play": "p1"}}


def test_child_play_outside_a_run_carries_no_traceparent(fake_api):
    # no run, no trace to continue: the operator then starts a new trace for the child
    client = KubeClient(f"http://127.0.0.1:{fake_api.server_address[1]}", token="t", namespace="ns1")
    assert play_run_async("hello", {}, client=client) == "hello-x7k2q"
    assert "annotations" not in fake_api.seen[0][2]["metadata"]


def test_unreachable_api_names_the_path():
    client = KubeClient("http://127.0.0.1:9", token="t", timeout=2)
    with pytest.raises(KubeError, match="GET /api/v1/namespaces: cannot reach"):
        client.get("/api/v1/namespaces")


def test_a_child_play_runs_in_its_parents_shard():
    child = child_play_manifest("hello", {}, parent="p1", parent_uid="u1", shard="team-a")["metadata"]
    assert child["labels"] == {"herologic.io/parent-play": "p1", "herologic.io/shard": "team-a"}
    unsharded = child_play_manifest("hello", {}, parent="p1", parent_uid="u1")["metadata"]
    assert "herologic.io/shard" not in unsharded["labels"]
