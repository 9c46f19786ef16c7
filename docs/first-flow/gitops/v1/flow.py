from herologic import flow


@flow(name="greeter", inputs={"name": {"type": "string", "default": "world"}})
def greeter(name="world"):
    return {"greeting": f"Hello, {name}!", "version": 1}
