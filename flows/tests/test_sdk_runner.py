"""The runner as a Pod runs it: a real `python3 -m herologic.runner` subprocess per test."""
from __future__ import annotations

import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import MARKER, finish, run_runner, start_runner, wait_for_line, write_flow, parse_stream  # noqa: E402

NESTED = '''
    from herologic import flow, step, current_span

    @flow(name="nested", inputs={"n": {"type": "integer", "default": 2}, "who": {"type": "string"}})
    def nested(who, n):
        current_span().tag(who=who)
        with step("outer", size=n) as span:
            span.log("starting", n)
            for i in range(n):
                with step(f"inner{i}") as inner:
                    inner.tag("i", i)
        return {"who": who, "n": n}
'''


def test_events_framing_seq_and_span_tree(tmp_path):
    result = run_runner(write_flow(tmp_path, NESTED), {"who": "ada", "n": 3},
                        HEROLOGIC_TRACE_ID="0123456789abcdef0123456789abcdef",
                        HEROLOGIC_PLAY_NAME="p1", HEROLOGIC_PLAY_NAMESPACE="ns1")
    assert result.returncode == 0, result.describe()
    events = result.events
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["v"] == 1 and isinstance(e["ts"], float) for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)
    assert events[0]["type"] == "run_start" and events[-1]["type"] == "run_end"
    start = events[0]
    assert start["flow"] == "nested" and start["inputs"] == {"who": "ada", "n": 3}
    assert start["trace_id"] == "0123456789abcdef0123456789abcdef"
    assert start["play"] == "p1" and start["namespace"] == "ns1"
    root = result.root()
    assert root["name"] == "nested" and root["kind"] == "flow" and root["tags"] == {}
    outer = result.span("outer")
    assert outer["parent_id"] == root["span_id"] and outer["tags"] == {"size": 3}
    for i in range(3):
        inner = result.span(f"inner{i}")
        assert inner["parent_id"] == outer["span_id"] and inner["kind"] == "step"
        assert result.tags_of(inner["span_id"]) == {"i": i}
    ids = [e["span_id"] for e in result.of_type("span_start")]
    assert len(set(ids)) == 5 and all(len(i) == 16 and int(i, 16) for i in ids)
    assert result.logs_of(outer["span_id"]) == ["starting 3"]
    assert result.tags_of(root["span_id"]) == {"who": "ada"}
    assert all(result.end_of(i)["status"] == "ok" for i in ids)
    assert result.one("output")["value"] == {"who": "ada", "n": 3}
    end = result.one("run_end")
    assert end["status"] == "succeeded" and 0 <= end["duration_s"] < 30
    assert result.of_type("dropped") == [] and result.of_type("error") == []


def test_declared_defaults_fill_inputs_and_trace_id_is_generated(tmp_path):
    result = run_runner(write_flow(tmp_path, NESTED), {"who": "bob"})
    assert result.returncode == 0, result.describe()
    assert result.one("output")["value"] == {"who": "bob", "n": 2}
    trace = result.one("run_start")["trace_id"]
    assert len(trace) == 32 and int(trace, 16) > 0


def test_flow_error_exit_1_with_traceback_on_spans(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow, step

        def explode():
            raise ValueError("bad thing")

        @flow
        def failing():
            with step("a"):
                with step("b"):
                    explode()
    ''')
    result = run_runner(path)
    assert result.returncode == 1, result.describe()
    b_end = result.end_of(result.span("b")["span_id"])
    assert b_end["status"] == "error" and b_end["error"]["type"] == "ValueError"
    assert b_end["error"]["message"] == "bad thing"
    assert "in explode" in b_end["error"]["traceback"] and "raise ValueError" in b_end["error"]["traceback"]
    assert "herologic" not in b_end["error"]["traceback"].replace(path, "")  # SDK frames left out
    b_tags = result.tags_of(result.span("b")["span_id"])
    assert b_tags["exception.type"] == "ValueError" and "explode" in b_tags["exception.stacktrace"]
    assert result.end_of(result.span("a")["span_id"])["status"] == "error"
    assert result.end_of(result.root()["span_id"])["status"] == "error"
    error = result.one("error")["error"]
    assert error["type"] == "ValueError" and "in failing" in error["traceback"]
    assert result.one("run_end")["status"] == "failed"
    assert result.of_type("output") == []
    assert result.types()[-2:] == ["error", "run_end"]


def _usage(result):
    assert result.returncode == 2, result.describe()
    assert result.types()[0] == "run_start" and result.types()[-1] == "run_end"
    assert result.one("run_end")["status"] == "failed"
    return result.one("error")["error"]


def test_load_and_input_errors_exit_2_with_an_error_event(tmp_path):
    assert "does not exist" in _usage(run_runner(str(tmp_path / "missing.py")))["message"]
    none = write_flow(tmp_path, "x = 1\n", "none.py")
    assert "no @flow" in _usage(run_runner(none))["message"]
    two = write_flow(tmp_path, '''
        from herologic import flow
        @flow
        def one(): pass
        @flow
        def two(): pass
    ''', "two.py")
    assert "exactly one" in _usage(run_runner(two))["message"]
    broken = write_flow(tmp_path, "def broken(:\n", "broken.py")
    assert _usage(run_runner(broken))["type"] == "SyntaxError"
    crash = write_flow(tmp_path, "raise RuntimeError('at import')\n", "crash.py")
    assert _usage(run_runner(crash))["message"] == "at import"
    flow = write_flow(tmp_path, NESTED)
    assert "spec.inputs.who: required by the flow but missing" in _usage(run_runner(flow, {}))["message"]
    assert "must be an integer" in _usage(run_runner(flow, {"who": "x", "n": "3"}))["message"]
    assert "declares no such input" in _usage(run_runner(flow, {"who": "x", "zzz": 1}))["message"]
    bad_json = run_runner(flow, None, HEROLOGIC_INPUTS="{not json")
    assert "not valid JSON" in _usage(bad_json)["message"]
    assert bad_json.one("run_start")["flow"] == "nested" and bad_json.root()["name"] == "nested"
    assert "JSON object" in _usage(run_runner(flow, None, HEROLOGIC_INPUTS="[1]"))["message"]


def test_inputs_file_and_async_flow(tmp_path):
    path = write_flow(tmp_path, '''
        import asyncio
        from herologic import flow, step

        @step("leaf")
        async def leaf(i):
            await asyncio.sleep(0.01)
            return i * 2

        @flow
        async def fan_out(count: int = 1):
            async with step("gather"):
                return sum(await asyncio.gather(*(leaf(i) for i in range(count))))
    ''')
    inputs = tmp_path / "inputs.json"
    inputs.write_text('{"count": 4}')
    result = run_runner(path, None, HEROLOGIC_INPUTS_FILE=str(inputs))
    assert result.returncode == 0, result.describe()
    assert result.one("output")["value"] == 12
    gather = result.span("gather")
    leaves = [e for e in result.of_type("span_start") if e["name"] == "leaf"]
    assert len(leaves) == 4 and all(e["parent_id"] == gather["span_id"] for e in leaves)


def test_a_sync_flow_starts_without_asyncio_or_the_http_stack(tmp_path):
    # Importing asyncio, ssl and urllib.request was over a third of a flow Pod's start-up CPU (hello
    # on Debian's Python 3.11: 99 ms before, 63 ms without them). The SDK imports each where it is
    # first needed: an async flow, a child Play, a JSON-RPC call (their own tests cover those paths).
    path = write_flow(tmp_path, '''
        import sys
        from herologic import flow, step

        @flow(name="imports")
        def imports():
            with step("work"):
                pass
            return sorted(m for m in ("asyncio", "ssl", "urllib.request", "http.client") if m in sys.modules)
    ''')
    result = run_runner(path, {})
    assert result.returncode == 0, result.describe()
    assert result.one("output")["value"] == []


def test_print_and_subprocess_output_never_corrupt_events(tmp_path):
    path = write_flow(tmp_path, '''
        import contextvars, os, subprocess, sys, threading
        from herologic import flow, step

        print("at import time")

        @flow
        def noisy():
            print("before steps")
            with step("talk") as span:
                print("a partial", end="")
                print(" line, finished")
                sys.stderr.write("to stderr\\n")
                sys.stdout.buffer.write(b"bytes line\\n")
                subprocess.run([sys.executable, "-c",
                    "import sys\\nfor i in range(2000): sys.stdout.write('child %d ' % i + 'x' * 50 + '\\\\n')\\n"
                    "sys.stdout.write('no newline at the end')"], check=True)
                subprocess.run(["sh", "-c", "echo shell-err >&2"], check=True)
                os.write(1, b"raw os.write\\n")
            def chatter():
                for i in range(500):
                    print("thread line", i)
            with step("chatter"):
                threads = [threading.Thread(target=contextvars.copy_context().run, args=(chatter,)) for _ in range(4)]
                for t in threads: t.start()
                for t in threads: t.join()
            return "done"
    ''')
    result = run_runner(path)
    assert result.returncode == 0, result.describe()
    assert result.other_lines == []  # everything went through events
    root, talk = result.root()["span_id"], result.span("talk")["span_id"]
    assert result.logs_of(root)[:2] == ["at import time", "before steps"]
    talk_logs = result.logs_of(talk)
    assert talk_logs[:3] == ["a partial line, finished", "to stderr", "bytes line"]
    levels = {e["message"]: e["level"] for e in result.of_type("span_log")}
    assert levels["to stderr"] == "error" and levels["a partial line, finished"] == "info"
    every_message = [e["message"] for e in result.of_type("span_log")]
    assert "child 0 " + "x" * 50 in every_message or "… " in " ".join(every_message)
    children = [m for m in every_message if m.startswith("child ")]
    assert all(m.endswith("x" * 50) for m in children)  # each line whole
    assert levels.get("shell-err") == "error" and "shell-err" in talk_logs  # synced at the step's end
    # fd-level output shares one pipe: a subprocess's unfinished line joins the next write
    assert any(m.endswith("raw os.write") for m in every_message)
    chatter = result.logs_of(result.span("chatter")["span_id"])
    assert len(chatter) == 129 and chatter[64] == "… 1872 lines dropped …"
    assert all(m.startswith("thread line ") for i, m in enumerate(chatter) if i != 64)
    assert result.one("output")["value"] == "done"
    assert [e["seq"] for e in result.events] == list(range(1, len(result.events) + 1))


def test_sigterm_ends_open_spans_as_terminated_and_exits_143(tmp_path):
    path = write_flow(tmp_path, '''
        import time
        from herologic import flow, step

        @flow
        def sleeper():
            with step("outer"):
                with step("sleeping"):
                    print("asleep", flush=True)
                    time.sleep(60)
    ''')
    proc = start_runner(path)
    lines = wait_for_line(proc, '"asleep"')
    proc.send_signal(signal.SIGTERM)
    out, err = finish(proc)
    assert proc.returncode == 143, err
    result = parse_stream("".join(lines) + out)
    for name in ("sleeping", "outer", "sleeper"):
        end = result.end_of(result.span(name)["span_id"])
        assert end["status"] == "error" and end["error"]["type"] == "Terminated", end
    assert result.one("error")["error"]["type"] == "Terminated"
    assert result.one("run_end")["status"] == "failed"
    assert [e["seq"] for e in result.events] == list(range(1, len(result.events) + 1))


def test_sigterm_in_async_flow(tmp_path):
    path = write_flow(tmp_path, '''
        import asyncio
        from herologic import flow, step

        async def worker(i):
            with step(f"worker{i}"):
                await asyncio.sleep(60)

        @flow
        async def waiting():
            print("ready", flush=True)
            await asyncio.gather(worker(1), worker(2))
    ''')
    proc = start_runner(path)
    lines = wait_for_line(proc, '"ready"')
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = finish(proc)
    assert proc.returncode == 143, err
    result = parse_stream("".join(lines) + out)
    for name in ("worker1", "worker2", "waiting"):
        end = result.end_of(result.span(name)["span_id"])
        assert end["status"] == "error" and end["error"]["type"] == "Terminated"
    assert result.one("run_end")["status"] == "failed"


def test_sigterm_watchdog_when_the_flow_swallows_it(tmp_path):
    path = write_flow(tmp_path, '''
        import time
        from herologic import flow, step

        @flow
        def stubborn():
            with step("stubborn loop"):
                while True:
                    try:
                        print("looping", flush=True)
                        time.sleep(60)
                    except BaseException:
                        pass
    ''')
    proc = start_runner(path, HEROLOGIC_TERM_GRACE_S="0.5")
    lines = wait_for_line(proc, '"looping"')
    time.sleep(0.3)  # let it reach time.sleep inside the try
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = finish(proc)
    assert proc.returncode == 143 and time.monotonic() - started < 10
    result = parse_stream("".join(lines) + out)
    end = result.end_of(result.span("stubborn loop")["span_id"])
    assert end["error"]["type"] == "Terminated" and "did not stop within" in end["error"]["message"]
    assert result.one("run_end")["status"] == "failed"


def test_log_bounds_keep_head_and_tail(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow, step

        @flow
        def chatty():
            with step("loud") as span:
                for i in range(100_000):
                    span.log(f"line {i}")
            with step("printing"):
                for i in range(1000):
                    print("p", i)
    ''')
    result = run_runner(path)
    assert result.returncode == 0, result.describe()
    logs = result.logs_of(result.span("loud")["span_id"])
    assert len(logs) == 64 + 1 + 64
    assert logs[:64] == [f"line {i}" for i in range(64)]
    assert logs[64] == f"… {100_000 - 128} lines dropped …"
    assert logs[65:] == [f"line {i}" for i in range(100_000 - 64, 100_000)]
    printed = result.logs_of(result.span("printing")["span_id"])
    assert printed[0] == "p 0" and printed[-1] == "p 999" and printed[64] == f"… {1000 - 128} lines dropped …"
    dropped = result.one("dropped")
    assert dropped["logs"] == (100_000 - 128) + (1000 - 128)
    assert dropped["log_bytes"] > 0 and dropped["spans"] == 0
    assert result.types()[-2:] == ["dropped", "run_end"]
    assert len(result.stdout) < 100_000


def test_span_cap_keeps_running_code(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow, step

        @flow
        def many():
            done = 0
            for i in range(20_000):
                with step("s", i=i) as span:
                    span.log("x")
                    done += 1
            return done
    ''')
    result = run_runner(path, timeout=120)
    assert result.returncode == 0, result.describe()
    assert result.one("output")["value"] == 20_000
    starts = result.of_type("span_start")
    assert len(starts) == 10_000  # the root plus 9,999 steps
    assert len(result.of_type("span_end")) == 10_000
    dropped = result.one("dropped")
    assert dropped["spans"] == 10_001 and dropped["logs"] == 10_001


def test_huge_values_are_cut_and_counted(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow, step

        class Odd:
            def __repr__(self):
                return "<Odd>"

        @flow
        def huge():
            with step("big", blob="y" * 100_000, nested={"k": ["z" * 20_000]}) as span:
                span.log("w" * 50_000)
                span.tag(many=list(range(5000)), nan=float("nan"), obj=Odd())
            return "x" * 100_000
    ''')
    result = run_runner(path)
    assert result.returncode == 0, result.describe()
    big = result.span("big")
    blob = big["tags"]["blob"]
    assert 16300 < len(blob) <= 16384 and blob.startswith("y" * 16000)
    assert re.search(r"y… \[cut (\d+) of 100000 chars\]$", blob)
    assert 100000 - int(re.search(r"cut (\d+) of", blob).group(1)) == blob.index("…")
    nested = big["tags"]["nested"]["k"][0]
    assert 16300 < len(nested) <= 16384 and nested.endswith(" of 20000 chars]")
    tags = result.tags_of(big["span_id"])
    assert tags["nan"] == "nan" and tags["obj"] == "<Odd>"
    assert isinstance(tags["many"], list) and tags["many"][-1] == "… 4000 more items cut"
    (log,) = result.logs_of(big["span_id"])
    assert 16300 < len(log) <= 16384 and log.endswith(" of 50000 chars]")
    output = result.one("output")["value"]
    assert 16300 < len(output) <= 16384 and output.endswith(" of 100000 chars]")
    assert result.one("dropped")["values_cut"] >= 5
    assert max(len(line) for line in result.stdout.splitlines()) < 70_000


def test_non_json_output_is_shown_as_repr_with_a_note(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow

        @flow
        def odd():
            return {1, 2}
    ''')
    result = run_runner(path)
    assert result.returncode == 0, result.describe()
    output = result.one("output")
    assert output["value"] == "{1, 2}" and "not JSON-serialisable" in output["note"]


def test_threads_nest_under_root_or_under_the_copied_context(tmp_path):
    path = write_flow(tmp_path, '''
        import contextvars, threading
        from herologic import flow, step

        @flow
        def threaded():
            with step("parent"):
                plain = threading.Thread(target=lambda: step("in plain thread").__enter__().end())
                ctx = contextvars.copy_context()
                copied = threading.Thread(target=ctx.run, args=(lambda: [s for s in [step("in copied thread")] for _ in [s.__enter__(), s.__exit__(None, None, None)]],))
                plain.start(); plain.join(); copied.start(); copied.join()
    ''')
    result = run_runner(path)
    assert result.returncode == 0, result.describe()
    assert result.span("in plain thread")["parent_id"] == result.root()["span_id"]
    assert result.span("in copied thread")["parent_id"] == result.span("parent")["span_id"]


def test_sys_exit_zero_succeeds_and_nonzero_fails(tmp_path):
    ok = write_flow(tmp_path, "import sys\nfrom herologic import flow\n@flow\ndef f():\n    sys.exit(0)\n", "ok.py")
    result = run_runner(ok)
    assert result.returncode == 0 and result.one("run_end")["status"] == "succeeded"
    bad = write_flow(tmp_path, "import sys\nfrom herologic import flow\n@flow\ndef f():\n    sys.exit(3)\n", "bad.py")
    result = run_runner(bad)
    assert result.returncode == 1 and result.one("error")["error"]["type"] == "SystemExit"


def test_wrong_command_line_is_a_usage_error_with_events(tmp_path):
    import subprocess
    from sdk_support import runner_env
    proc = subprocess.run([sys.executable, "-m", "herologic.runner"], capture_output=True, text=True,
                          env=runner_env())
    assert proc.returncode == 2
    assert all(line.startswith(MARKER) for line in proc.stdout.splitlines())
    assert "usage" in parse_stream(proc.stdout).one("error")["error"]["message"]


def test_sigterm_during_heavy_output_never_cuts_a_line(tmp_path):
    path = write_flow(tmp_path, '''
        from herologic import flow, step

        @flow
        def busy():
            print("go", flush=True)
            i = 0
            while True:
                i += 1
                with step("s", blob="x" * 60_000, i=i):
                    pass
    ''')
    for _ in range(5):
        proc = start_runner(path, HEROLOGIC_TERM_GRACE_S="3")
        lines = wait_for_line(proc, '"go"')
        time.sleep(0.15)
        proc.send_signal(signal.SIGTERM)
        out, _ = finish(proc)
        assert proc.returncode == 143
        result = parse_stream("".join(lines) + out)  # raises on a cut line
        assert result.other_lines == []
        assert result.events[-1]["type"] == "run_end"
        assert [e["seq"] for e in result.events] == list(range(1, len(result.events) + 1))
        starts = {e["span_id"] for e in result.of_type("span_start")}
        assert starts == {e["span_id"] for e in result.of_type("span_end")}
