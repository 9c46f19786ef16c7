"""`python -m herologic run --otlp-endpoint`: the run's trace as OTLP/HTTP JSON, received by a real
HTTP server in the test and checked field by field against the OTLP/JSON rules (hex ids, int64 as
strings, enums as ints) and OpenTelemetry's semantic conventions."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import FLOWS_DIR, runner_env, write_flow  # noqa: E402

from herologic import otlp  # noqa: E402

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"

FLOW = '''
    from herologic import flow, instrument, llm_span, step

    class Weather:
        def today(self, city):
            return {"city": city, "sky": "clear"}

    @flow(name="traced", inputs={"city": {"type": "string"}})
    def traced(city):
        with step("fetch", url="http://x/" + city) as span:
            span.log("asking", city)
            span.log("careful", level="warning")
        try:
            with step("parse"):
                raise ValueError("bad json at 3")
        except ValueError:
            pass
        instrument(Weather()).today(city)
        with llm_span("gpt-test") as chat:
            chat.record_usage(12, 30, response_model="gpt-test-1")
        return {"ok": True}
'''


class _Collector(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
        status = self.server.answer
        self.send_response(status)
        answer = b"{}" if status == 200 else b'{"code": 8, "message": "collector is full"}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture()
def collector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.received, server.answer = [], 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def _cli(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "herologic", *args], capture_output=True, text=True,
                          cwd=FLOWS_DIR, env=env or runner_env(), timeout=timeout)


def _attrs(items):
    """KeyValue list -> {key: AnyValue}, refusing a key given twice."""
    out = {}
    for item in items:
        assert set(item) == {"key", "value"} and item["key"] not in out, item
        out[item["key"]] = item["value"]
    return out


def test_local_run_exports_its_trace_as_otlp_json(collector, tmp_path):
    path = write_flow(tmp_path, FLOW)
    done = _cli("run", path, "--input", "city=Oslo", "--json", "--otlp-endpoint", collector.url,
                "--otlp-header", "x-scope-orgid=team-a", "--traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01")
    assert done.returncode == 0, done.stderr
    play = json.loads(done.stdout)
    assert f"exported 5 spans of trace {TRACE_ID} to {collector.url}/v1/traces" in done.stderr

    assert len(collector.received) == 1
    request_path, headers, body = collector.received[0]
    assert request_path == "/v1/traces"
    assert headers["content-type"] == "application/json" and headers["x-scope-orgid"] == "team-a"
    [resource_spans] = body["resourceSpans"]
    resource = _attrs(resource_spans["resource"]["attributes"])
    assert resource["service.name"] == {"stringValue": "traced"}
    assert resource["telemetry.sdk.language"] == {"stringValue": "python"}
    [scope_spans] = resource_spans["scopeSpans"]
    assert scope_spans["scope"]["name"] == "herologic"
    spans = {s["name"]: s for s in scope_spans["spans"]}
    assert len(scope_spans["spans"]) == 5
    assert set(spans) == {"traced", "fetch", "parse", "Weather.today", "chat gpt-test"}

    # ids: hex strings, the run continues the given trace, the root under the given parent
    status_spans = {s["id"]: s for s in play["status"]["spans"]}
    for span in scope_spans["spans"]:
        assert span["traceId"] == TRACE_ID
        assert len(span["spanId"]) == 16 and span["spanId"] in status_spans
        assert isinstance(span["startTimeUnixNano"], str) and isinstance(span["endTimeUnixNano"], str)
        assert 1.6e18 < int(span["startTimeUnixNano"]) <= int(span["endTimeUnixNano"])
    root = spans["traced"]
    assert root["parentSpanId"] == PARENT_ID
    for name in ("fetch", "parse", "Weather.today", "chat gpt-test"):
        assert spans[name]["parentSpanId"] == root["spanId"]
    assert int(root["startTimeUnixNano"]) <= int(spans["fetch"]["startTimeUnixNano"])
    assert int(spans["fetch"]["endTimeUnixNano"]) <= int(root["endTimeUnixNano"])

    # kinds and status as enum ints
    assert [spans[n]["kind"] for n in ("traced", "fetch", "Weather.today", "chat gpt-test")] == [1, 1, 3, 3]
    assert root["status"] == {"code": 1} and spans["fetch"]["status"] == {"code": 1}
    assert spans["parse"]["status"] == {"code": 2, "message": "bad json at 3"}

    # the exception as an `exception` event, not repeated as attributes
    parse_attrs = _attrs(spans["parse"]["attributes"])
    assert not any(key.startswith("exception.") for key in parse_attrs)
    [exception] = spans["parse"]["events"]
    assert exception["name"] == "exception" and exception["timeUnixNano"] == spans["parse"]["endTimeUnixNano"]
    details = _attrs(exception["attributes"])
    assert details["exception.type"] == {"stringValue": "ValueError"}
    assert details["exception.message"] == {"stringValue": "bad json at 3"}
    assert "raise ValueError" in details["exception.stacktrace"]["stringValue"]

    # span logs as events, tags as attributes
    fetch = spans["fetch"]
    assert [(e["name"], _attrs(e["attributes"])) for e in fetch["events"]] == [
        ("log", {"log.message": {"stringValue": "asking Oslo"}, "log.level": {"stringValue": "info"}}),
        ("log", {"log.message": {"stringValue": "careful"}, "log.level": {"stringValue": "warning"}})]
    for event in fetch["events"]:
        assert fetch["startTimeUnixNano"] <= event["timeUnixNano"] <= fetch["endTimeUnixNano"]
    fetch_attrs = _attrs(fetch["attributes"])
    assert fetch_attrs["url"] == {"stringValue": "http://x/Oslo"}
    assert fetch_attrs["herologic.span.kind"] == {"stringValue": "step"}

    rpc = _attrs(spans["Weather.today"]["attributes"])
    assert rpc["rpc.system"] == {"stringValue": "python"} and rpc["rpc.service"] == {"stringValue": "Weather"}
    assert rpc["rpc.method"] == {"stringValue": "today"}
    assert json.loads(rpc["rpc.result"]["stringValue"]) == {"city": "Oslo", "sky": "clear"}

    llm = _attrs(spans["chat gpt-test"]["attributes"])
    assert llm["gen_ai.usage.input_tokens"] == {"intValue": "12"}  # int64 as a JSON string
    assert llm["gen_ai.usage.output_tokens"] == {"intValue": "30"}
    assert llm["gen_ai.request.model"] == {"stringValue": "gpt-test"}
    assert llm["gen_ai.response.model"] == {"stringValue": "gpt-test-1"}
    assert llm["herologic.span.kind"] == {"stringValue": "llm"}


def test_the_otel_environment_variables_choose_the_endpoint_and_headers(collector, tmp_path):
    path = write_flow(tmp_path, FLOW)
    env = runner_env(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url + "/otlp/",
                     OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer%20t0k,x-team=a",
                     OTEL_EXPORTER_OTLP_TRACES_HEADERS="x-team=b")
    done = _cli("run", path, "--input", "city=Oslo", env=env)
    assert done.returncode == 0, done.stderr
    request_path, headers, body = collector.received[0]
    # the generic variable is a base URL: /v1/traces is appended to its path
    assert request_path == "/otlp/v1/traces"
    assert headers["authorization"] == "Bearer t0k" and headers["x-team"] == "b"
    # a new trace when none is continued: no parent on the root
    root = [s for s in body["resourceSpans"][0]["scopeSpans"][0]["spans"] if s["name"] == "traced"][0]
    assert "parentSpanId" not in root and len(root["traceId"]) == 32 and root["traceId"] != TRACE_ID


def test_endpoint_precedence_follows_the_otel_specification():
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4318/x"}
    assert otlp.traces_url(None, {}) is None
    assert otlp.traces_url(None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://base:4318"}) == "http://base:4318/v1/traces"
    assert otlp.traces_url(None, env) == "http://t:4318/x"  # the signal's own URL is used as is
    assert otlp.traces_url("http://flag:4318", env) == "http://flag:4318/v1/traces"
    assert otlp.traces_url("http://flag:4318/", env) == "http://flag:4318/v1/traces"
    assert otlp.traces_url("https://flag/custom/path", env) == "https://flag/custom/path"


@pytest.mark.parametrize("args, message", [
    (["--otlp-endpoint", "collector:4318"], "--otlp-endpoint 'collector:4318': expected an http:// or https:// URL"),
    (["--otlp-endpoint", "http://127.0.0.1:9", "--otlp-header", "novalue"], "--otlp-header 'novalue': expected key=value"),
    (["--otlp-header", "a=b"], "--otlp-header needs --otlp-endpoint"),
    (["--traceparent", f"00-{TRACE_ID}-{PARENT_ID}"], "traceparent '00-"),
])
def test_bad_export_settings_are_named_before_the_flow_runs(collector, tmp_path, args, message):
    marker = tmp_path / "ran"
    path = write_flow(tmp_path, f'''
        from herologic import flow

        @flow
        def f():
            open({str(marker)!r}, "w").close()
    ''')
    done = _cli("run", path, *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not marker.exists() and collector.received == []


def test_a_refused_export_is_reported_and_keeps_the_flows_exit_code(collector, tmp_path):
    collector.answer = 503
    path = write_flow(tmp_path, FLOW)
    done = _cli("run", path, "--input", "city=Oslo", "--otlp-endpoint", collector.url)
    assert done.returncode == 0
    assert (f"the trace was not exported: {collector.url}/v1/traces answered HTTP 503 Service Unavailable: "
            '{"code": 8, "message": "collector is full"}') in done.stderr
    env = runner_env(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:9/v1/traces")
    done = _cli("run", path, "--input", "city=Oslo", env=env)
    assert done.returncode == 0 and "cannot reach http://127.0.0.1:9/v1/traces" in done.stderr


def _line(seq, type_, ts=1_700_000_000.5, **fields):
    return "@@herologic@@ " + json.dumps({"v": 1, "seq": seq, "ts": ts, "type": type_, **fields})


def test_unended_spans_forged_ids_and_batches():
    root, child = "a" * 16, "b" * 16
    recorder = otlp.TraceRecorder().feed_lines([
        _line(1, "run_start", trace_id=TRACE_ID, flow="f", inputs={}),
        _line(2, "span_start", span_id=root, parent_id=None, name="f", kind="flow", tags={}),
        _line(3, "span_start", span_id=child, parent_id=root, name="slow", kind="step", tags={"n": 2 ** 70}),
        _line(4, "span_start", span_id="NOT-AN-ID", parent_id=root, name="x", kind="step", tags={}),
        _line(5, "span_log", span_id="c" * 16, message="to a span that never started", level="info"),
        "a line a subprocess printed",
        _line(6, "span_end", ts=1_700_000_001.25, span_id=root, status="ok"),
    ])
    assert list(recorder.spans) == [root, child]
    [body] = recorder.requests()
    spans = {s["spanId"]: s for s in body["resourceSpans"][0]["scopeSpans"][0]["spans"]}
    assert spans[root]["endTimeUnixNano"] == "1700000001250000000"
    # the runner died before `slow` ended: it ends at the last event seen, as an error saying so
    assert spans[child]["endTimeUnixNano"] == "1700000001250000000"
    assert spans[child]["status"] == {"code": 2, "message": "the span never ended: the runner exited before it"}
    assert _attrs(spans[child]["attributes"])["n"] == {"stringValue": str(2 ** 70)}  # beyond int64: text
    assert [len(b["resourceSpans"][0]["scopeSpans"][0]["spans"]) for b in recorder.requests(spans_per_request=1)] == [1, 1]
    assert otlp.TraceRecorder().feed_lines(["no events at all"]).requests() == []


def test_log_events_per_span_are_bounded():
    root = "a" * 16
    lines = [_line(1, "run_start", trace_id=TRACE_ID, flow="f", inputs={}),
             _line(2, "span_start", span_id=root, parent_id=None, name="f", kind="flow", tags={})]
    lines += [_line(3 + i, "span_log", span_id=root, message=f"line {i}", level="info")
              for i in range(otlp.MAX_EVENTS_PER_SPAN + 5)]
    [body] = otlp.TraceRecorder().feed_lines(lines).requests()
    [span] = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert len(span["events"]) == otlp.MAX_EVENTS_PER_SPAN and span["droppedEventsCount"] == 5
