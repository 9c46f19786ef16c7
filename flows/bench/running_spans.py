"""make bench-running's flow: a long-running Play that opens one span at a time.

`spans` steps spread over `seconds`: each step starts at its own slot (every seconds/spans, 3 s by
default), tags itself, logs one line, works for `busy` seconds and ends well before the next slot,
so every span's end is followed by quiet time in which the operator must put it into the Play's
status. A Play emits exactly 1 + spans spans. The benchmark reads each span's end (startTime +
durationMs, the flow's own clock, shared with the benchmark on devcluster) and the moment the
ended span first appears in the Play's status.
"""
import time

from herologic import flow, step


@flow(name="running-spans", inputs={
    "spans": {"type": "integer", "default": 20, "description": "steps, one span each, one after another"},
    "seconds": {"type": "number", "default": 60, "description": "total running time; a step starts every seconds/spans"},
    "busy": {"type": "number", "default": 0.5, "description": "how long each step's span stays open"},
})
def running_spans(spans=20, seconds=60.0, busy=0.5):
    slot = seconds / spans
    begin = time.monotonic()
    for i in range(spans):
        wait = begin + i * slot - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        with step(f"span-{i:02d}", index=i) as span:
            span.log(f"span {i} of {spans}")
            time.sleep(min(busy, slot / 2))
    time.sleep(max(0.0, begin + seconds - time.monotonic()))
    return {"spans": 1 + spans}
