from herologic import flow, step


@flow(name="greeter", inputs={"name": {"type": "string", "default": "world"}})
def greeter(name="world"):
    with step("greet") as span:
        span.log("greeting", name)
    return {"greeting": f"Hi, {name}!", "version": 2}
