"""herologic: the Python SDK of hero-logic flows (standard library only, Python 3.9+).

A flow file defines one `@flow` function; the runner (`python3 -m herologic.runner FILE`)
runs it in a Play's Pod and reports spans as events on stdout (see PROTOCOL.md).

    from herologic import flow, step, current_span

    @flow(name="hello", inputs={"name": {"type": "string", "default": "world"}})
    def hello(name):
        with step("greet", who=name) as span:
            span.log("greeting", name)
        return {"greeting": f"Hello, {name}!"}
"""
from .core import FlowInfo, InputError, NoopSpan, Span, StepContext, Terminated, current_span, flow, step
from .llm import LlmSettings, LlmSpan, llm_settings, llm_span
from .plays import PlayError, play_run_async
from .rpc import JsonRpcClient, JsonRpcError, JsonRpcTimeout, JsonRpcTransportError, instrument
from .subproc import SubprocessResult, run_python  # last: it may activate a nested child's run

__version__ = "0.1.0"

__all__ = [
    "flow", "step", "current_span", "instrument", "JsonRpcClient", "llm_span", "llm_settings", "play_run_async", "Span",
    "JsonRpcError", "JsonRpcTimeout", "JsonRpcTransportError", "LlmSettings", "LlmSpan", "NoopSpan", "StepContext",
    "FlowInfo", "InputError", "PlayError", "Terminated", "run_python", "SubprocessResult",
]
