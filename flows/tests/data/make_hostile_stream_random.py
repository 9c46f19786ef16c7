"""Writes hostile_stream_random.txt: a seeded mix of honest and hostile event lines.

Run from the repository root: `python3 flows/tests/data/make_hostile_stream_random.py`. Its
expectation (hostile_stream_random.expected.json) is what the readers agree on: after a change
to the rules, write it from one reader (test_hostile_stream.summary) and the other's test
(HostileStreamTest) must then agree, line for line.
"""
import json
import random
rnd = random.Random(20261201)
M = "@@herologic@@ "
ids = ["00f067aa0ba902b7", "53995c3f42cd8ad8", "b7ad6b7169203331", "0af7651916cd43dd", "1111111111111111",
       "2222222222222222", "ABCDEF0123456789", "short", None, 42]
good = ids[:6]
lines = []
seq = 0
def ev(type_, **f):
    global seq
    r = rnd.random()
    if r < 0.85:
        seq += 1; s = seq
    elif r < 0.9:
        s = seq  # a repeat
    elif r < 0.95:
        s = rnd.choice([2**31 - 1, 2**63 - 1, -1, 0, seq + 5])
    else:
        s = seq + 1
    v = 1 if rnd.random() < 0.95 else rnd.choice([2, "1", 1.0, None])
    d = {"v": v, "seq": s, "ts": round(1736000000 + seq * 0.25, 3), "type": type_}
    if v is None:
        del d["v"]
    d.update(f)
    lines.append(M + json.dumps(d, separators=(",", ":")))
ev("run_start", trace_id="4bf92f3577b34da6a3ce929d0e0e4736", flow="f", inputs={})
lines.append("import-time print")
ev("span_start", span_id=good[0], parent_id=None, name="root", kind="flow", tags={})
for i in range(220):
    kind = rnd.choice(["span_start"] * 3 + ["span_tag", "span_log", "span_log", "span_end", "span_end", "tokens", "tokens",
                       "plain", "output", "error", "dropped", "mystery", "run_start"])
    sid = rnd.choice(ids if rnd.random() < 0.3 else good)
    if kind == "plain":
        lines.append(rnd.choice(["plain line %d" % i, M + "{broken", "   ", M + "[1,2]"]))
    elif kind == "span_start":
        ev(kind, span_id=sid, parent_id=rnd.choice([None, good[0], good[1], "zz", sid]), name="s%d" % i,
           kind=rnd.choice(["step", "llm", None, 5]), tags=rnd.choice([{}, {"i": i}, {"gen_ai.usage.input_tokens": rnd.choice([5, -3, 2**62])}]))
    elif kind == "span_tag":
        ev(kind, span_id=sid, tags={"k%d" % (i % 5): i, "s": "x" * rnd.choice([1, 10, 100])})
    elif kind == "span_log":
        ev(kind, span_id=sid, message="log %d" % i, level="info")
    elif kind == "span_end":
        f = {"span_id": sid, "status": rnd.choice(["ok", "error", "weird"])}
        if f["status"] == "error":
            f["error"] = {"type": "E%d" % i, "message": "m", "traceback": "t"}
        ev(kind, **f)
    elif kind == "tokens":
        ev(kind, span_id=sid, input_tokens=rnd.choice([1, 7, -5, 1.5, "7", 2**62, None]), output_tokens=rnd.choice([2, 3, 10**13]), model="m")
    elif kind == "output":
        ev(kind, value={"i": i})
    elif kind == "error":
        ev(kind, error={"type": "Err%d" % i, "message": "m", "traceback": ""})
    elif kind == "dropped":
        ev(kind, spans=rnd.choice([0, 3, -1]), logs=rnd.choice([0, 2]), log_bytes=rnd.choice([0, 10, 1.5]), values_cut=0)
    elif kind == "mystery":
        ev("some_future_type", span_id=sid)
    else:
        ev(kind, trace_id=rnd.choice(["4bf92f3577b34da6a3ce929d0e0e4736", "nope"]), flow="f", inputs={})
ev("output", value={"final": True})
ev("run_end", status="succeeded", duration_s=10.0)
ev("span_log", span_id=good[0], message="after the end")
lines.append("stderr after the end")
open("flows/tests/data/hostile_stream_random.txt", "w").write("\n".join(lines) + "\n")
print(len(lines))
