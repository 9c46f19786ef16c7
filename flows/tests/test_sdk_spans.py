"""step / flow / current_span in-process: nesting across threads and asyncio tasks, errors,
decorator forms, and behaviour outside a run."""
from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import MemoryRun  # noqa: E402

from herologic import Span, current_span, flow, step  # noqa: E402
from herologic.core import FlowInfo, InputError, NoopSpan  # noqa: E402


def parent_names(run: MemoryRun):
    """name -> parent name, from the span_start events."""
    starts = run.of_type("span_start")
    names = {e["span_id"]: e["name"] for e in starts}
    return {e["name"]: names.get(e["parent_id"]) for e in starts}


def test_context_manager_nesting_and_span_api():
    with MemoryRun("root") as run:
        with step("a", kind="custom", x=1) as a:
            assert isinstance(a, Span) and current_span() is a and len(a.id) == 16
            with step("b") as b:
                assert b.parent_id == a.id and current_span() is b
                b.log("one", 2, {"k": 3})
                b.tag("key", "value")
                b.tag(more=[1, 2])
            assert current_span() is a
        assert current_span() is run.root_span
    assert parent_names(run) == {"root": None, "a": "root", "b": "a"}
    a_start = run.span("a")
    assert a_start["kind"] == "custom" and a_start["tags"] == {"x": 1}
    b_id = run.span("b")["span_id"]
    assert run.logs_of(b_id) == ["one 2 {'k': 3}"]
    assert run.tags_of(b_id) == {"key": "value", "more": [1, 2]}
    assert [e["seq"] for e in run.events] == list(range(1, len(run.events) + 1))


def test_decorator_forms_sync_and_async():
    @step
    def bare(x):
        return x + 1

    @step("named", kind="io", where="here")
    def named():
        return current_span().name

    @step("async one")
    async def coro(v):
        await asyncio.sleep(0)
        return current_span().name, v

    assert bare.__name__ == "bare"
    with MemoryRun() as run:
        assert bare(1) == 2 and bare(2) == 3
        assert named() == "named"
        assert asyncio.run(coro(5)) == ("async one", 5)
    names = [e["name"] for e in run.of_type("span_start")]
    assert names == ["test", "bare", "bare", "named", "async one"]
    assert run.span("named")["kind"] == "io" and run.span("named")["tags"] == {"where": "here"}
    assert parent_names(run)["async one"] == "test"


def test_exception_is_recorded_and_reraised():
    def fail():
        raise KeyError("missing")

    with MemoryRun() as run:
        with pytest.raises(KeyError):
            with step("outer"):
                with step("inner"):
                    fail()
        with step("marked") as span:
            span.set_error("soft failure")
            assert span.status == "error"
    inner = run.end_of(run.span("inner")["span_id"])
    assert inner["status"] == "error" and inner["error"]["type"] == "KeyError"
    assert inner["error"]["message"] == "'missing'" and "in fail" in inner["error"]["traceback"]
    assert run.tags_of(run.span("inner")["span_id"])["exception.type"] == "KeyError"
    assert run.end_of(run.span("outer")["span_id"])["status"] == "error"
    marked = run.end_of(run.span("marked")["span_id"])
    assert marked["status"] == "error" and marked["error"]["message"] == "soft failure"
    assert run.end_of(run.root()["span_id"])["status"] == "ok"


def test_threads_plain_copied_and_pool():
    def work(name):
        with step(name):
            with step(name + ".child"):
                pass

    with MemoryRun() as run:
        with step("main"):
            threads = [threading.Thread(target=work, args=(f"plain{i}",)) for i in range(4)]
            threads += [threading.Thread(target=contextvars.copy_context().run, args=(work, f"copied{i}"))
                        for i in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(work, [f"pool{i}" for i in range(8)]))
    parents = parent_names(run)
    for i in range(4):
        assert parents[f"plain{i}"] == "test"  # a new thread has an empty context: root
        assert parents[f"copied{i}"] == "main"
        assert parents[f"plain{i}.child"] == f"plain{i}"
        assert parents[f"copied{i}.child"] == f"copied{i}"
    for i in range(8):
        assert parents[f"pool{i}.child"] == f"pool{i}"
    assert len(run.of_type("span_end")) == len(run.of_type("span_start"))


def test_asyncio_tasks_nest_independently():
    async def branch(name, delay):
        with step(name):
            await asyncio.sleep(delay)
            with step(name + ".leaf") as leaf:
                await asyncio.sleep(delay)
                return leaf.parent_id

    async def main():
        with step("fan"):
            return await asyncio.gather(*(branch(f"b{i}", 0.001 * (5 - i)) for i in range(5)))

    with MemoryRun() as run:
        parent_ids = asyncio.run(main())
    parents = parent_names(run)
    for i in range(5):
        assert parents[f"b{i}"] == "fan" and parents[f"b{i}.leaf"] == f"b{i}"
        assert parent_ids[i] == run.span(f"b{i}")["span_id"]


def test_outside_a_run_everything_is_plain():
    @flow(name="plain", inputs={"x": {"type": "integer"}})
    def plain(x):
        with step("s") as span:
            span.log("ignored")
            span.tag(a=1)
            assert isinstance(span, NoopSpan)
        return x * 2

    assert plain(21) == 42
    assert plain.__name__ == "plain" and plain.__wrapped__(1) == 2
    assert isinstance(current_span(), NoopSpan)
    assert plain.__herologic_flow__.name == "plain"


def test_flow_decorator_forms_binding_and_validation():
    @flow
    def bare(a, b=2):
        return a + b

    @flow(inputs={"a": {"type": "number", "description": "first"}, "b": {"default": 10}})
    def declared(a, b):
        return a + b

    assert bare.__herologic_flow__.name == "bare"
    info: FlowInfo = declared.__herologic_flow__
    assert info.name == "declared" and info.inputs["a"]["description"] == "first"
    bound = info.bind({"a": 1.5})
    assert bound.arguments == {"a": 1.5, "b": 10}
    assert bare.__herologic_flow__.bind({"a": 1}).arguments == {"a": 1, "b": 2}
    # the messages are CONTRACT.md's (flows/contract/ has every case; test_contract.py runs them)
    with pytest.raises(InputError, match="spec.inputs.a: required by the flow but missing"):
        info.bind({})
    with pytest.raises(InputError, match="must be a number, got boolean true"):
        info.bind({"a": True})
    with pytest.raises(InputError, match="spec.inputs.zzz: the flow declares no such input"):
        info.bind({"a": 1, "zzz": 2})
    with pytest.raises(TypeError, match="unknown type 'str'"):
        flow(inputs={"a": {"type": "str"}})(lambda a: a)
    with pytest.raises(TypeError, match="not a parameter"):
        flow(inputs={"nope": {}})(lambda a=1: a)
    with pytest.raises(TypeError, match="unknown key 'typ'"):
        flow(inputs={"a": {"typ": "string"}})(lambda a: a)
    assert flow.step is step


def test_flow_called_inside_a_run_is_a_nested_flow_span():
    @flow(name="sub")
    def sub(v):
        return v + 1

    with MemoryRun() as run:
        assert sub(1) == 2
    assert run.span("sub")["kind"] == "flow" and parent_names(run)["sub"] == "test"


def test_step_context_object_is_reusable_and_recursive():
    ctx = step("again")

    def recurse(n):
        with ctx:
            if n:
                recurse(n - 1)

    with MemoryRun() as run:
        recurse(2)
        with ctx:
            pass
    starts = [e for e in run.of_type("span_start") if e["name"] == "again"]
    assert len(starts) == 4
    assert starts[1]["parent_id"] == starts[0]["span_id"] and starts[2]["parent_id"] == starts[1]["span_id"]
    assert starts[3]["parent_id"] == run.root()["span_id"]
    assert len(run.of_type("span_end")) == 5
