"""herologic.subproc.run_python: the child's spans nest under the subprocess span, one
gap-free seq per run, output and errors captured, the timeout kills the process group."""
from __future__ import annotations

import os
import sys
import textwrap
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import log_text, run_flow  # noqa: E402

from herologic import run_python  # noqa: E402


def flow_file(tmp_path, body: str) -> str:
    path = tmp_path / "nested_flow.py"
    path.write_text("from herologic import flow, step, run_python\n\n"
                    "@flow(name='nested')\ndef nested():\n" + textwrap.indent(textwrap.dedent(body), "    "))
    return str(path)


CHILD = '''
import sys
from herologic import current_span, step, llm_span
print("before")
with step("child_step", color="blue") as span:
    span.log("inside")
    with llm_span("m1") as llm:
        llm.record_usage(11, 7)
current_span().log("on the parent span")
print("no newline", end="")
with step("after_partial"):
    pass
print()
sys.stderr.write("warning: something\\n")
'''


def test_child_spans_nest_and_seq_stays_gap_free(tmp_path):
    run = run_flow(flow_file(tmp_path, f'''
        r = run_python({CHILD!r}, timeout=20, tags={{"attempt": 1}})
        return {{"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "ok": r.ok}}
    '''), {}, {})
    assert run.returncode == 0, run.describe()
    assert [e["seq"] for e in run.events] == list(range(1, len(run.events) + 1))
    execute = run.one("execute")
    assert execute["kind"] == "subprocess" and execute["status"] == "ok"
    assert [c["name"] for c in execute.children] == ["child_step", "after_partial"]
    child = execute.children[0]
    assert child["tags"]["color"] == "blue" and log_text(child) == "inside"
    assert [c["kind"] for c in child.children] == ["llm"]
    tokens = run.of_type("tokens")
    assert [(t["input_tokens"], t["output_tokens"]) for t in tokens] == [(11, 7)]
    assert tokens[0]["span_id"] == child.children[0]["id"]
    logs = [(e["message"], e["level"]) for e in execute["logs"]]
    assert ("before", "info") in logs and ("on the parent span", "info") in logs
    assert ("no newline", "info") in logs and ("warning: something", "error") in logs
    tags = execute["tags"]
    assert tags["process.exit_code"] == 0 and tags["attempt"] == 1
    assert tags["code.size"] == len(CHILD) and tags["process.timed_out"] is False
    assert run.output == {"rc": 0, "stdout": "before\nno newline\n\n", "stderr": "warning: something\n",
                          "ok": True}


def test_failure_and_timeout_are_span_errors(tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nprint('x')\nsys.exit('boom: it broke')\n")
    slow = tmp_path / "slow.py"
    slow.write_text(textwrap.dedent(f'''
        import subprocess, time
        from herologic import step
        child = subprocess.Popen(["sleep", "60"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        print("started", flush=True)
        with step("stuck"):
            time.sleep(60)
    '''))
    run = run_flow(flow_file(tmp_path, f'''
        bad = run_python({str(bad)!r}, timeout=20, span_name="bad")
        slow = run_python({str(slow)!r}, timeout=2, span_name="slow")
        return {{"bad": [bad.returncode, bad.ok], "slow": [slow.returncode, slow.timed_out, slow.stdout]}}
    '''), {}, {})
    assert run.returncode == 0, run.describe()
    assert run.output == {"bad": [1, False], "slow": [-9, True, "started\n"]}
    bad_span = run.one("bad")
    assert bad_span["status"] == "error" and bad_span["error"]["type"].endswith("ProcessFailed")
    assert bad_span["error"]["message"] == "exit code 1: boom: it broke"
    assert bad_span["tags"]["process.exit_code"] == 1
    assert bad_span["tags"]["code.filepath"] == str(bad)
    slow_span = run.one("slow")
    assert slow_span["status"] == "error" and slow_span["error"]["type"].endswith("TimeoutExpired")
    assert "did not finish within 2s" in slow_span["error"]["message"]
    stuck = run.one("stuck")
    assert stuck["parent_id"] == slow_span["id"] and stuck["status"] == "error"
    assert "killed after the 2s timeout" in stuck["error"]["message"]
    grandchild = int(pidfile.read_text())
    time.sleep(0.2)
    assert not _alive(grandchild), "the timeout must kill the whole process group"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_child_run_level_events_are_not_forwarded(tmp_path):
    fake = '@@herologic@@ {"v":1,"seq":1,"type":"output","value":"fake"}'
    broken = "@@herologic@@ {not json"
    script = tmp_path / "liar.py"
    script.write_text(f"print({fake!r})\nprint({broken!r})\n")
    run = run_flow(flow_file(tmp_path, f'''
        return run_python({str(script)!r}, timeout=20).stdout
    '''), {}, {})
    assert run.returncode == 0, run.describe()
    assert [e["value"] for e in run.of_type("output")] == [broken + "\n"]
    assert "child event output" in log_text(run.one("execute"))


def test_outside_a_run_it_just_runs(tmp_path):
    script = tmp_path / "plain.py"
    script.write_text("import os, sys\nfrom herologic import step\n"
                      "with step('x'):\n    print(os.environ.get('HEROLOGIC_NESTED'), sys.argv[1:])\n")
    result = run_python(str(script), timeout=20, args=["a"], env={"PATH": os.environ["PATH"]})
    assert result.ok and result.stdout == "None ['a']\n" and result.stderr == ""
    assert result.span_id is None
    assert run_python(script, timeout=20, args=["b"]).stdout == "None ['b']\n"  # a Path
    with pytest.raises(FileNotFoundError):
        run_python(tmp_path / "missing.py", timeout=5)
    result = run_python("import time; time.sleep(10)", timeout=0.5)
    assert result.timed_out and not result.ok and result.duration_s < 5


def test_grandchild_that_escapes_the_group_does_not_block(tmp_path):
    pidfile = tmp_path / "escaped.pid"
    script = tmp_path / "escape.py"
    script.write_text("import subprocess\n"
                      "p = subprocess.Popen(['sleep', '30'], start_new_session=True)\n"
                      f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
                      "print('parent done')\n")
    started = time.monotonic()
    try:
        result = run_python(str(script), timeout=20)
        assert result.ok and result.stdout == "parent done\n"
        assert time.monotonic() - started < 10
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), 9)
