"""Trace context leaving the run: the W3C `traceparent` header on JSON-RPC calls, checked against
the demo calendar as a real process, and the header's parsing rules."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import CALENDAR_SCRIPT, FLOWS_DIR, free_port  # noqa: E402
from sdk_support import MemoryRun, run_runner, write_flow  # noqa: E402

from herologic import core  # noqa: E402

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture()
def calendar_with_log(tmp_path):
    """The calendar as a real process logging each request to a file; yields (url, read_log)."""
    port = free_port()
    log_path = tmp_path / "calendar.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, CALENDAR_SCRIPT, "--host", "127.0.0.1", "--port", str(port)],
                                stdout=subprocess.PIPE, stderr=log, text=True, cwd=FLOWS_DIR)
    try:
        assert "calendar listening" in proc.stdout.readline()

        def traceparents():
            return [line.split()[-1] for line in log_path.read_text().splitlines()
                    if line.startswith("calendar: traceparent ")]

        yield f"http://127.0.0.1:{port}/rpc", traceparents
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


def test_calendar_logs_the_traceparent_of_the_calling_rpc_span(calendar_with_log, tmp_path):
    url, traceparents = calendar_with_log
    flow = write_flow(tmp_path, '''
        from herologic import JsonRpcClient, flow, instrument, step

        @flow
        def book(url):
            calendar = instrument(JsonRpcClient(url), service="calendar")
            calendar.event.list()
            with step("plain call"):
                JsonRpcClient(url).call("event.list")   # not instrumented: the step is the parent
            return "ok"
    ''')
    result = run_runner(flow, {"url": url}, HEROLOGIC_TRACE_ID=TRACE_ID)
    assert result.returncode == 0, result.describe()
    assert result.one("run_start")["trace_id"] == TRACE_ID
    rpc_span = result.span("calendar.event.list")
    step_span = result.span("plain call")
    deadline = time.monotonic() + 5
    while len(traceparents()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the server logs before answering, but stderr lands asynchronously
    logged = traceparents()
    assert logged == [f"00-{TRACE_ID}-{rpc_span['span_id']}-01", f"00-{TRACE_ID}-{step_span['span_id']}-01"]
    version, trace_id, parent_id, flags = logged[0].split("-")
    assert (trace_id, parent_id) == (result.one("run_start")["trace_id"], rpc_span["span_id"])


def test_no_traceparent_outside_a_run(calendar_with_log):
    url, traceparents = calendar_with_log
    from herologic import JsonRpcClient, instrument
    assert instrument(JsonRpcClient(url)).event.list() == []
    assert traceparents() == []


def test_current_traceparent_names_the_current_span():
    assert core.current_traceparent() is None
    with MemoryRun() as run:
        assert core.current_traceparent() == f"00-{run.run.trace_id}-{run.root_span.id}-01"
        with core.step("inner") as inner:
            assert core.current_traceparent() == f"00-{run.run.trace_id}-{inner.id}-01"


@pytest.mark.parametrize("value, problem", [
    ("", "expected 00-"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "expected 00-"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "expected 00-"),
    ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "the trace id must be 32 lowercase hex digits"),
    ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "the trace id must be 32 lowercase hex digits"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01", "the parent id must be 16 lowercase hex digits"),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "all-zero"),
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "all-zero"),
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff"),
])
def test_bad_traceparent_is_named(value, problem):
    with pytest.raises(ValueError) as err:
        core.parse_traceparent(value)
    assert problem in str(err.value) and repr(value) in str(err.value)


def test_traceparent_round_trip_and_future_versions():
    assert core.parse_traceparent(f"00-{TRACE_ID}-00f067aa0ba902b7-01") == (TRACE_ID, "00f067aa0ba902b7")
    # a later version may append fields: the first four are read
    assert core.parse_traceparent(f"01-{TRACE_ID}-00f067aa0ba902b7-00-what-ever") == (TRACE_ID, "00f067aa0ba902b7")
    assert core.format_traceparent(TRACE_ID, "00f067aa0ba902b7") == f"00-{TRACE_ID}-00f067aa0ba902b7-01"
