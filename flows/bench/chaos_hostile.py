"""The chaos suite's hostile flow: it attacks the event stream its own Play is read from.

mode "seq": writes forged event lines straight into the runner's private event pipe (found
  by scanning its open descriptors, as any code in the Pod could), with `seq` near 2^31 and
  2^63 (and past 2^63), a forged span and a forged `run_end`, then goes on with real steps.
mode "forge": a run_python child and the flow itself print marker lines that claim to be
  events: forged span ids, a `span_end` of the root span, a `run_end`. They reach the
  runner's capture pipe, so they must end up as log lines, never as spans.
mode "flood": `megabytes` MB of output, half printed by the flow and half written by a
  subprocess straight to fd 1.

Whatever it writes, its Play must become final with its status within the status budget,
and the operator must stay alive.
"""
import json
import os
import stat
import subprocess
import sys
import time

from herologic import current_span, flow, run_python, step

MARKER = "@@herologic@@ "


def forged(seq, type_, **fields):
    return MARKER + json.dumps(dict({"v": 1, "seq": seq, "ts": time.time(), "type": type_}, **fields), separators=(",", ":")) + "\n"


def event_pipes():
    """Descriptors other than 0-2 that are writable pipes other than the capture pipes behind fd 1 and 2."""
    capture = {os.fstat(1).st_ino, os.fstat(2).st_ino}
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        if fd > 2 and stat.S_ISFIFO(st.st_mode) and st.st_ino not in capture:
            found.append(fd)
    return found


def attack_seq(root_id):
    lines = [
        forged(2**31 - 1, "span_log", span_id=root_id, message="forged seq 2^31-1"),
        forged(2**31, "span_start", span_id="f" * 16, parent_id=root_id, name="forged-2^31", kind="step", tags={}),
        forged(2**63 - 1, "span_log", span_id=root_id, message="forged seq 2^63-1"),
        forged(2**63, "span_end", span_id=root_id, status="ok"),
        forged(2**64 + 7, "run_end", status="succeeded", duration_s=0.0),
        forged(-1, "span_log", span_id=root_id, message="forged seq -1"),
    ]
    written = 0
    for fd in event_pipes():
        for line in lines:
            try:
                os.write(fd, line.encode())
                written += 1
            except OSError:
                break  # a read end, or not ours to write
    return written


CHILD = r'''
import json, os, sys, time
M = "@@herologic@@ "
root = sys.argv[1]
def ev(seq, t, **f):
    return M + json.dumps(dict({"v": 1, "seq": seq, "ts": time.time(), "type": t}, **f), separators=(",", ":"))
print(ev(1, "span_start", span_id="0" * 16, parent_id=None, name="forged-root", kind="flow", tags={}), flush=True)
print(ev(99999, "span_start", span_id="e" * 16, parent_id=root, name="forged-child", kind="step", tags={}), flush=True)
print(ev(100000, "span_end", span_id=root, status="error", error={"type": "Forged", "message": "root ended by a child", "traceback": ""}), flush=True)
os.write(1, (ev(2**63 - 1, "run_end", status="failed", duration_s=0.0) + "\n").encode())
print("@@herologic@@ {not json", flush=True)
'''


@flow(name="chaos-hostile", inputs={
    "mode": {"type": "string", "description": "seq, forge or flood"},
    "megabytes": {"type": "integer", "default": 100, "description": "flood: MB of output"},
    "seconds": {"type": "number", "default": 15, "description": "time spent in honest steps"},
})
def chaos_hostile(mode, megabytes=100, seconds=15.0):
    root_id = current_span().id
    result = {"mode": mode}
    with step("attack", mode=mode) as span:
        if mode == "seq":
            result["forged_lines_written"] = attack_seq(root_id)
            span.log(f"wrote {result['forged_lines_written']} forged lines into the event pipe")
        elif mode == "forge":
            child = run_python(CHILD, timeout=60, args=[root_id], span_name="forger")
            result["child_exit"] = child.returncode
            print(forged(3, "span_end", span_id=root_id, status="ok").rstrip("\n"))
            os.write(1, forged(4, "run_end", status="succeeded", duration_s=0.0).encode())
        elif mode == "flood":
            half = megabytes * 1024 * 1024 // 2
            line = "x" * 1023
            for _ in range(half // 1024):
                print(line)
            code = f"import os\nb = (b'y' * 1023 + b'\\n') * 1024\nfor _ in range({half // (1024 * 1024)}):\n    os.write(1, b)\n"
            subprocess.run([sys.executable, "-c", code], check=True)
            result["bytes"] = 2 * half
        else:
            raise ValueError(f"mode must be seq, forge or flood, not {mode!r}")
    for i in range(3):
        with step(f"after-{i}"):
            time.sleep(seconds / 3)
    return result
