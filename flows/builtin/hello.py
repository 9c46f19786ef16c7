"""hello: the smallest tour of a hero-logic flow.

It greets someone, shows nested steps with tags and logs, and prints to stdout
(printed lines land in the current step's log). Runs in well under a second.

    python -m herologic run builtin/hello.py --input name=Ada --input steps=2
"""
import time

from herologic import current_span, flow, step


@flow(name="hello", inputs={
    "name": {"type": "string", "default": "world", "description": "who to greet"},
    "steps": {"type": "integer", "default": 3, "description": "how many steps to show"}
})
def hello(name="world", steps=3):
    steps = max(0, min(int(steps), 20))
    current_span().tag(greeting_for=name)
    with step("prepare", who=name) as span:
        greeting = f"Hello, {name}!"
        span.log("composed the greeting:", greeting)
        span.tag(length=len(greeting))
    with step("count", total=steps):
        for index in range(1, steps + 1):
            with step(f"step {index}", index=index) as span:
                time.sleep(0.01)
                span.log(f"step {index} of {steps} done")
    with step("greet"):
        print(greeting)
    return {"greeting": greeting, "steps": steps}
