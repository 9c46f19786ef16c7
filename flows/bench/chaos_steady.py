"""The chaos suite's honest flow: a fixed shape that follows from its inputs alone.

A Play of it emits exactly 1 + steps spans (the root and one step each) and exactly
steps * (logs + 1) log lines (`logs` span.log lines and one printed line per step), and
runs about `seconds` seconds. The chaos suite (`make chaos`) checks each Play's status
against that; the output repeats the expected counts so a reader of the Play can too.
"""
import time

from herologic import flow, step


@flow(name="chaos-steady", inputs={
    "steps": {"type": "integer", "default": 12, "description": "steps, one span each"},
    "logs": {"type": "integer", "default": 3, "description": "span.log lines per step (plus one printed line)"},
    "seconds": {"type": "number", "default": 20, "description": "total running time, spread over the steps"},
})
def chaos_steady(steps=12, logs=3, seconds=20.0):
    pause = seconds / steps
    for i in range(steps):
        with step(f"step-{i:02d}", index=i) as span:
            for j in range(logs):
                span.log(f"step {i} line {j}")
            print(f"step {i} printed")
            time.sleep(pause)
    return {"spans": 1 + steps, "logs": steps * (logs + 1)}
