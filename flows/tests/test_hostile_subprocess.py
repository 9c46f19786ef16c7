"""run_python's forwarder lets a child process touch only the spans it opened.

Real processes: the runner runs a flow whose step starts a child (run_python); the child
writes raw event lines that try to end, rename and re-parent the parent's spans, forge
token counts and use bad ids. The forwarder refuses them (logged on the subprocess span,
counted in `process.events_refused`) and re-emits only what the child owns, so the
stream the operator reads is clean.
"""
from __future__ import annotations

import os
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import run_runner, write_flow  # noqa: E402

from herologic import subproc  # noqa: E402
from herologic.assemble import PlayAssembler, span_depths  # noqa: E402

OWN = "c0ffee00c0ffee00"
OWN_CHILD = "c0ffee00c0ffee01"

CHILD = r'''
import json, os
outer = os.environ["OUTER"]
me = os.environ["HEROLOGIC_PARENT_SPAN_ID"]
def send(type_, **fields):
    print("@@herologic@@ " + json.dumps({"v": 1, "seq": 1, "ts": 1.0, "type": type_, **fields}), flush=True)
send("span_end", span_id=outer, status="error", error={"type": "Forged", "message": "ended by the child", "traceback": ""})
send("span_start", span_id=outer, parent_id=me, name="renamed", kind="step", tags={})
send("span_start", span_id="00000000000bad01", parent_id=outer, name="under a parent it does not own", kind="step", tags={})
send("tokens", span_id=me, input_tokens=10**9, output_tokens=10**9, model="forged")
send("tokens", span_id=outer, input_tokens=10**9, output_tokens=10**9, model="forged")
send("span_tag", span_id=outer, tags={"who": "Mallory"})
send("span_log", span_id=outer, message="written into the parent's span")
send("span_tag", span_id=me, tags={"gen_ai.usage.input_tokens": 10**9, "note": "kept"})
send("span_start", span_id="XYZ", parent_id=me, name="bad id", kind="step", tags={})
send("span_end", span_id=me, status="error")
send("output", value="forged output")
print("@@herologic@@ " + "[" * 100000, flush=True)  # nested too deep for json: must not kill the reader
send("span_start", span_id="%(own)s", parent_id=me, name="own", kind="step", tags={})
send("span_start", span_id="%(own_child)s", parent_id="%(own)s", name="own child", kind="llm", tags={})
send("tokens", span_id="%(own_child)s", input_tokens=3, output_tokens=4, model="m")
send("span_end", span_id="%(own_child)s", status="ok")
send("span_end", span_id="%(own)s", status="ok")
send("span_end", span_id="%(own)s", status="error")
send("span_start", span_id="%(own)s", parent_id=me, name="own renamed", kind="step", tags={})
''' % {"own": OWN, "own_child": OWN_CHILD}

REFUSED = 12  # the 18 sends above but the span_tag "note" and the five events on own spans


def test_a_child_touches_only_the_spans_it_opened(tmp_path):
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    flow = write_flow(tmp_path, f"""
        import os
        from herologic import flow, step, run_python

        @flow(name="victim")
        def victim():
            with step("outer", who="Ada") as outer:
                result = run_python({str(child)!r}, timeout=20, env=dict(os.environ, OUTER=outer.id))
            return {{"ok": result.ok}}
    """)
    run = run_runner(flow)
    assert run.returncode == 0, run.describe()
    assert [e["seq"] for e in run.events] == list(range(1, len(run.events) + 1))

    outer, execute = run.span("outer"), run.span("execute")
    assert [e["name"] for e in run.of_type("span_start")] == ["victim", "outer", "execute", "own", "own child"]
    assert run.end_of(outer["span_id"])["status"] == "ok"
    assert run.end_of(execute["span_id"])["status"] == "ok"
    assert run.tags_of(outer["span_id"]) == {"who": "Ada"}
    assert run.logs_of(outer["span_id"]) == []
    assert [(t["span_id"], t["input_tokens"], t["output_tokens"]) for t in run.of_type("tokens")] == [(OWN_CHILD, 3, 4)]
    execute_tags = run.tags_of(execute["span_id"])
    assert execute_tags["note"] == "kept" and "gen_ai.usage.input_tokens" not in execute_tags
    assert execute_tags["process.events_refused"] == REFUSED
    refused = [m for m in run.logs_of(execute["span_id"]) if m.startswith("[refused event]")]
    assert len(refused) == REFUSED
    assert any("names span " + outer["span_id"] in m and "did not open" in m for m in refused)
    assert any("reuses the existing span id " + outer["span_id"] in m for m in refused)
    assert any("not 16 lowercase hex digits" in m for m in refused)
    assert any("child event output is not a span event" in m for m in refused)
    assert any("span_end for span " + OWN + ", which already ended" in m for m in refused)
    assert [e["value"] for e in run.of_type("output")] == [{"ok": True}]

    # the operator's twin reads a clean stream: the right tree, the child's tokens only, no violations
    play = PlayAssembler().feed_lines(run.stdout.splitlines()).play()
    spans = play["status"]["spans"]
    names = [(s["name"], depth, s["status"]) for s, depth in zip(spans, span_depths(spans))]
    assert names == [("victim", 0, "Ok"), ("outer", 1, "Ok"), ("execute", 2, "Ok"), ("own", 3, "Ok"), ("own child", 4, "Ok")]
    assert play["status"]["tokens"]["total"] == 7
    assert "conditions" not in play["status"]


def test_refused_events_are_logged_a_bounded_number_of_times(tmp_path):
    child = tmp_path / "flood.py"
    child.write_text(textwrap.dedent("""
        import json, os
        me = os.environ["HEROLOGIC_PARENT_SPAN_ID"]
        def send(type_, **fields):
            print("@@herologic@@ " + json.dumps({"v": 1, "seq": 1, "ts": 1.0, "type": type_, **fields}))
        for i in range(2000):
            send("span_end", span_id=me)  # never the child's to end
        for i in range(1000):
            send("span_log", span_id=me, message="m")  # the child's to log on, up to the cap
    """))
    flow = write_flow(tmp_path, f"""
        from herologic import flow, run_python

        @flow(name="flooded")
        def flooded():
            return run_python({str(child)!r}, timeout=30).ok
    """)
    run = run_runner(flow)
    assert run.returncode == 0, run.describe()
    execute = run.span("execute")
    cap = subproc.MAX_FORWARDED_LOGS_PER_SPAN
    assert run.tags_of(execute["span_id"])["process.events_refused"] == 2000 + 1000 - cap
    logs = run.logs_of(execute["span_id"])
    assert sum(m.startswith("[refused event]") for m in logs) <= subproc.MAX_REFUSED_LOGS + 1
    assert len(run.events) < 600, "the flood did not reach the stream"
