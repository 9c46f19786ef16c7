"""llm_span: OpenTelemetry GenAI tags (numbers), tokens events, bounded prompt and reply."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import MemoryRun  # noqa: E402

from herologic import llm_span  # noqa: E402
from herologic.core import NoopSpan  # noqa: E402


def test_llm_span_tags_and_tokens():
    with MemoryRun() as run:
        with llm_span("gpt-4o-mini", provider="openai", purpose="plan") as span:
            span.record_prompt([{"role": "user", "content": "hi " * 10_000}])
            span.record_reply("hello there")
            span.record_usage(12, 30, response_model="gpt-4o-mini-2024")
            span.record_usage("3", 4)
    start = run.span("chat gpt-4o-mini")
    assert start["kind"] == "llm"
    assert start["tags"] == {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                             "gen_ai.request.model": "gpt-4o-mini", "purpose": "plan"}
    tags = run.tags_of(start["span_id"])
    assert tags["gen_ai.usage.input_tokens"] == 15 and tags["gen_ai.usage.output_tokens"] == 34
    assert type(tags["gen_ai.usage.input_tokens"]) is int
    assert tags["gen_ai.response.model"] == "gpt-4o-mini-2024"
    assert tags["gen_ai.output.messages"] == [{"role": "assistant", "content": "hello there"}]
    prompt = tags["gen_ai.input.messages"][0]["content"]
    assert len(prompt) <= 16384 and "cut" in prompt[-40:]
    tokens = run.of_type("tokens")
    assert [(t["input_tokens"], t["output_tokens"], t["model"]) for t in tokens] == [
        (12, 30, "gpt-4o-mini-2024"), (15, 34, "gpt-4o-mini")]  # running totals of the span
    assert all(t["span_id"] == start["span_id"] for t in tokens)


def test_llm_span_operation_and_outside_a_run():
    with MemoryRun() as run:
        with llm_span("text-embedding-3", provider="azure.ai.openai", operation="embeddings"):
            pass
    assert run.span("embeddings text-embedding-3")["tags"]["gen_ai.provider.name"] == "azure.ai.openai"
    with llm_span("m") as span:
        assert isinstance(span, NoopSpan)
        span.record_usage(1, 2)
        span.record_prompt([])
        span.record_reply("x")
