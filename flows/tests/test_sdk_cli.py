"""Local mode (`python -m herologic run`), the tree renderer, `tree --watch`, and `inspect`."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import FLOWS_DIR, write_flow  # noqa: E402

from herologic.assemble import PlayAssembler, rfc3339, span_depths  # noqa: E402
from herologic.cli import parse_inputs  # noqa: E402
from herologic.render import format_duration, render_play  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
HELLO = os.path.join(FLOWS_DIR, "builtin", "hello.py")


def cli(*args, stdin=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEROLOGIC_")}
    env["PYTHONPATH"] = FLOWS_DIR
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "herologic", *args], capture_output=True, text=True,
                          input=stdin, env=env, timeout=timeout, cwd=FLOWS_DIR)


def test_run_hello_prints_the_tree():
    proc = cli("run", HELLO, "--input", "name=123", "--input", "steps=2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("Play hello  Succeeded")
    lines = out.splitlines()
    assert lines[1].startswith("✓ hello flow")
    assert any(line.startswith("├─ ✓ prepare step") for line in lines)
    assert any(line.startswith("│  ├─ ✓ step 1 step") for line in lines)
    assert any(line.startswith("│  └─ ✓ step 2 step") for line in lines)
    assert not any("step 3 " in line for line in lines)
    assert "│ Hello, 123!" in out  # the print() in the greet step, name kept as a string
    assert 'output: {"greeting": "Hello, 123!", "steps": 2}' in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_run_json_round_trips_into_tree_and_events_are_raw(tmp_path):
    proc = cli("run", HELLO, "--json")
    assert proc.returncode == 0, proc.stderr
    play = json.loads(proc.stdout)
    status = play["status"]
    assert play["kind"] == "Play" and status["phase"] == "Succeeded"
    assert status["output"] == {"greeting": "Hello, world!", "steps": 3}
    spans = status["spans"]
    assert span_depths(spans)[:3] == [0, 1, 1] and spans[0]["parentId"] is None
    names = [s["name"] for s in spans]
    assert names == ["hello", "prepare", "count", "step 1", "step 2", "step 3", "greet"]
    by_name = {s["name"]: s for s in spans}
    assert by_name["step 2"]["parentId"] == by_name["count"]["id"] and span_depths(spans)[names.index("step 2")] == 2
    assert all(s["status"] == "Ok" and isinstance(s["durationMs"], int) for s in spans)
    assert status["traceStartTime"].endswith("Z") and len(status["traceStartTime"]) == 24
    assert spans[0]["startOffsetMs"] == 0 and all("depth" not in s and "startTime" not in s for s in spans)
    assert 0 <= by_name["step 1"]["startOffsetMs"] <= by_name["step 2"]["startOffsetMs"] <= by_name["greet"]["startOffsetMs"]
    tree = cli("tree", "-", stdin=proc.stdout)
    assert tree.returncode == 0 and "└─ ✓ greet step" in tree.stdout
    events = cli("run", HELLO, "--events")
    lines = events.stdout.splitlines()
    assert all(line.startswith("@@herologic@@ {") for line in lines) and len(lines) > 10


def test_run_failing_flow_shows_traceback_and_exit_code(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow, step

        @flow
        def failing():
            with step("work"):
                raise ValueError("nope")
    ''')
    proc = cli("run", path)
    assert proc.returncode == 1
    assert "Play failing  Failed" in proc.stdout
    assert "✗ ValueError: nope" in proc.stdout and 'raise ValueError("nope")' in proc.stdout
    assert proc.stdout.count("Traceback (most recent call last)") == 1  # once, where it arose
    assert "error: ValueError: nope" in proc.stdout
    usage = cli("run", path, "--input", "novalue")
    assert usage.returncode == 2 and "expected key=value" in usage.stderr


def test_tree_renders_an_operator_play():
    proc = cli("tree", os.path.join(DATA, "play_failed.json"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == "Play service-agent-v3-x7k2q  Failed  4.21 s  tokens 1200 in / 345 out"
    assert out[1] == "✗ service_agent_v3 flow 4.20 s"
    text = proc.stdout
    assert "├─ ✓ discover_services step 35 ms" in text
    assert "│  └─ ✓ calendar.rpc.discover rpc 12 ms" in text
    assert "├─ ✓ chat deepseek-v3 llm 2.10 s tokens 1200/345" in text
    assert "└─ ● cleanup step running" in text
    assert "│     │ line one" in text and "│     │ line two" in text
    assert "✗ ProcessFailed: exit code 1: KeyError: 'title'" in text
    assert "dropped: logs 872, bytes 51234" in text
    assert "error: AgentError: script failed twice" in text


def test_renderer_options_ascii_colour_and_log_limits():
    with open(os.path.join(DATA, "play_failed.json")) as handle:
        play = json.load(handle)
    plain = render_play(play, unicode=False)
    assert "|- + discover_services step" in plain and "`- * cleanup step running" in plain
    assert "✓" not in plain
    colored = render_play(play, color=True)
    assert "\x1b[31m" in colored and "\x1b[32m" in colored
    quiet = render_play(play, max_logs=0)
    assert "found calendar" not in quiet and "1 more log lines" in quiet
    assert format_duration(999) == "999 ms" and format_duration(61_000) == "1m01s"


def test_tree_survives_missing_parents_and_cycles():
    spans = [{"id": "a", "parentId": "b", "name": "A", "kind": "step", "status": "Ok"},
             {"id": "b", "parentId": "a", "name": "B", "kind": "step", "status": "Ok"},
             {"id": "c", "parentId": "zzz", "name": "C", "kind": "step", "status": "Error"}]
    text = render_play({"metadata": {"name": "x"}, "status": {"phase": "Running", "spans": spans}})
    assert "C step" in text  # an orphan is shown at the top level; a cycle does not hang


def test_tree_watch_redraws_until_terminal(tmp_path):
    counter = tmp_path / "n"
    counter.write_text("0")
    script = tmp_path / "fake_kubectl.py"
    script.write_text(f'''
import json, pathlib
p = pathlib.Path({str(counter)!r})
n = int(p.read_text()) + 1
p.write_text(str(n))
phase = "Running" if n < 3 else "Failed"
print(json.dumps({{"metadata": {{"name": "w"}}, "status": {{"phase": phase, "spans": []}}}}))
''')
    proc = cli("tree", "--watch", f"{sys.executable} {script}", "--interval", "0.05")
    assert proc.returncode == 1 and "Play w  Failed" in proc.stdout and counter.read_text() == "3"
    script.write_text(script.read_text().replace('"Failed"', '"Succeeded"'))
    counter.write_text("0")
    assert cli("tree", "--watch", f"{sys.executable} {script}", "--interval", "0.05").returncode == 0
    not_yet = cli("tree", "--watch", "echo 'Error from server (NotFound): plays.herologic.io \"w\" not found' >&2; exit 1",
                  "--interval", "0.05", "--timeout", "0.5")
    assert not_yet.returncode == 1 and "(NotFound)" in not_yet.stderr and "gave up after 0.5s" in not_yet.stderr


def test_tree_watch_stops_when_the_command_keeps_failing(tmp_path):
    """What a terminal without KUBECONFIG sees: kubectl's connection refused. The watch stops with it
    after a few tries instead of repeating it until the timeout."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    counter = tmp_path / "n"
    counter.write_text("0")
    script = tmp_path / "fake_kubectl.py"
    script.write_text(f'''
import pathlib, socket, sys
p = pathlib.Path({str(counter)!r})
p.write_text(str(int(p.read_text()) + 1))
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=5)
except OSError as exc:
    sys.exit(f"The connection to the server 127.0.0.1:{port} was refused - did you specify the right host or port? ({{exc}})")
''')
    start = time.monotonic()
    proc = cli("tree", "--watch", f"{sys.executable} {script}", "--interval", "0.05")
    assert proc.returncode == 1, proc.stderr
    assert f"127.0.0.1:{port} was refused" in proc.stderr and "stopped after 5 failures in a row" in proc.stderr
    assert proc.stderr.count("was refused") == 1  # the same error is printed once
    assert counter.read_text() == "5" and time.monotonic() - start < 30


def test_tree_watch_waits_through_not_found_until_the_play_exists(tmp_path):
    """kubectl says NotFound until the Play is created: more times than the failure limit, and it still works."""
    counter = tmp_path / "n"
    counter.write_text("0")
    script = tmp_path / "fake_kubectl.py"
    script.write_text(f'''
import json, pathlib, sys
p = pathlib.Path({str(counter)!r})
n = int(p.read_text()) + 1
p.write_text(str(n))
if n <= 7:
    sys.exit('Error from server (NotFound): plays.herologic.io "w" not found')
print(json.dumps({{"metadata": {{"name": "w"}}, "status": {{"phase": "Succeeded" if n > 8 else "Running", "spans": []}}}}))
''')
    proc = cli("tree", "--watch", f"{sys.executable} {script}", "--interval", "0.05")
    assert proc.returncode == 0, proc.stderr
    assert "Play w  Succeeded" in proc.stdout and counter.read_text() == "9"
    assert proc.stderr.count("(NotFound)") == 1


def test_inspect_reads_the_declared_inputs_statically():
    proc = cli("inspect", HELLO)
    assert proc.returncode == 0
    found = json.loads(proc.stdout)
    assert found["name"] == "hello" and found["inputs"][1] == {
        "name": "steps", "type": "integer", "required": False, "defaultValue": 3, "description": "how many steps to show"}


def test_parse_inputs_uses_declared_types():
    spec = {"name": {"type": "string"}, "n": {"type": "integer"}}
    assert parse_inputs(["name=42", "n=42", "obj={\"a\": [1]}", "word=hello"], spec, '{"x": true}') == {
        "x": True, "name": "42", "n": 42, "obj": {"a": [1]}, "word": "hello"}


def test_assembler_keeps_stray_lines_and_a_repeated_stream_changes_nothing_but_violations():
    lines = [
        "stray before start",
        '@@herologic@@ {"v":1,"seq":1,"ts":10.0,"type":"run_start","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","flow":"f","inputs":{}}',
        '@@herologic@@ {"v":1,"seq":2,"ts":10.0,"type":"span_start","span_id":"00000000000000a1","parent_id":null,"name":"f","kind":"flow","tags":{}}',
        '@@herologic@@ {"v":1,"seq":3,"ts":10.1,"type":"span_start","span_id":"00000000000000c1","parent_id":"00000000000000a1","name":"c","kind":"llm","tags":{}}',
        '@@herologic@@ {"v":1,"seq":4,"ts":10.2,"type":"tokens","span_id":"00000000000000c1","input_tokens":5,"output_tokens":7,"model":"m"}',
        "stray after start",
        '@@herologic@@ {"v":1,"seq":5,"ts":10.25,"type":"span_end","span_id":"00000000000000c1","status":"ok"}',
        '@@herologic@@ {"v":1,"seq":6,"ts":10.3,"type":"span_start","span_id":"00000000000000d1","parent_id":"00000000000000a1","name":"d","kind":"llm","tags":{"gen_ai.usage.input_tokens":2,"gen_ai.usage.output_tokens":1}}',
        '@@herologic@@ {"v":1,"seq":7,"ts":10.4,"type":"tokens","span_id":"00000000000000c1","input_tokens":6,"output_tokens":9,"model":"m"}',
        "@@herologic@@ {broken json",
    ]
    assembler = PlayAssembler().feed_lines(lines)
    assembler.feed_lines(line for line in lines if line.startswith("@@herologic@@ {\""))  # first-wins spans, latest-wins tokens: only counted
    play = assembler.play()
    spans = play["status"]["spans"]
    assert [s["name"] for s in spans] == ["f", "c", "d"]
    assert [line for line in spans[0]["logs"] if not line.startswith("[herologic]")] == [
        "stray before start", "stray after start", "@@herologic@@ {broken json"]
    assert spans[0]["status"] == "Running" and "durationMs" not in spans[0]
    assert spans[1]["durationMs"] == 150 and span_depths(spans)[1] == 1
    assert play["status"]["tokens"] == {"input": 8, "output": 10, "total": 18}  # latest per span, summed
    # the repeat restarts at seq 1; a second run_start, three span_starts and a span_end are ignored
    assert assembler.violations == 6
    assembler.finish(137)
    assert assembler.play()["status"]["phase"] == "Failed"
    assert "code 137" in assembler.play()["status"]["error"]["message"]
    assert rfc3339(0.1234) == "1970-01-01T00:00:00.123Z"
