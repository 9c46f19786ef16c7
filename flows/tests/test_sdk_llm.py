"""llm_span: OpenTelemetry GenAI tags (numbers), tokens events, bounded prompt and reply."""
from __future__ import annotations

import os
import sys

import pytest

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
    assert len(prompt) <= 12 * 1024 and "characters, " in prompt and " cut here] …" in prompt
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


def test_llm_settings_name_what_a_cluster_user_sets(monkeypatch):
    from herologic import llm_settings
    monkeypatch.setenv("HEROLOGIC_PLAY_NAME", "agent-x1")
    monkeypatch.setenv("HEROLOGIC_PLAY_NAMESPACE", "team-a")
    monkeypatch.setenv("HEROLOGIC_LLM_SECRET", "herologic-llm")
    monkeypatch.setenv("HEROLOGIC_LLM_BASE_URL", " https://llm.example/v1 ")
    monkeypatch.delenv("HEROLOGIC_LLM_MODEL", raising=False)
    monkeypatch.setenv("HEROLOGIC_LLM_API_KEY", "sk-1")
    settings = llm_settings()
    assert (settings.base_url, settings.model, settings.api_key) == ("https://llm.example/v1", "", "sk-1")
    assert settings.where("model") == ("key `model` of Secret `herologic-llm` in namespace `team-a`, "
                                       "or `spec.llm.model` on the Workflow or Play")
    assert settings.where("apiKey").endswith("or `spec.llm.apiKeySecretRef` on the Workflow or Play")
    assert "sk-1" not in repr(settings)
    monkeypatch.delenv("HEROLOGIC_LLM_SECRET")  # the Workflow declares no spec.llm
    assert llm_settings().where("baseUrl") == (
        "`spec.llm.baseUrl` on the Workflow (this Play's Workflow declares no `spec.llm`, "
        "so its Pods get no LLM settings)")
    monkeypatch.delenv("HEROLOGIC_PLAY_NAME")  # a local run is configured by the environment
    assert llm_settings().where("baseUrl") == "HEROLOGIC_LLM_BASE_URL"


def test_a_withheld_secret_is_read_from_memory_not_the_environment(monkeypatch):
    from herologic import llm_settings, settings
    monkeypatch.setattr(settings, "_withheld", {})
    environ = {"HEROLOGIC_LLM_API_KEY": "sk-2", "OTHER": "kept"}
    assert settings.withhold_secrets(environ) == ["HEROLOGIC_LLM_API_KEY"]
    assert environ == {"OTHER": "kept"}
    monkeypatch.setenv("HEROLOGIC_LLM_API_KEY", "from-the-environment")
    assert settings.secret("HEROLOGIC_LLM_API_KEY") == "sk-2" and llm_settings().api_key == "sk-2"
    with pytest.raises(KeyError, match="OTHER is not a secret setting"):
        settings.secret("OTHER")


def test_prompt_keeps_every_message_and_cuts_long_ones_in_the_middle():
    from herologic.llm import MAX_PROMPT_CHARS, MAX_REPLY_CHARS
    system = "You write scripts. " * 20
    stubs = "HEAD " + "stub line\n" * 5000 + " TAIL"
    feedback = "FEEDBACK-START " + "x" * 30_000 + " FEEDBACK-END"
    messages = [{"role": "system", "content": system}, {"role": "user", "content": stubs},
                {"role": "assistant", "content": "short"}, {"role": "user", "content": feedback}]
    with MemoryRun() as run:
        with llm_span("m") as span:
            span.record_prompt(messages)
            span.record_reply("REPLY-START " + "y" * 20_000 + " REPLY-END")
    tags = run.tags_of(run.span("chat m")["span_id"])
    kept = tags["gen_ai.input.messages"]
    assert [m["role"] for m in kept] == ["system", "user", "assistant", "user"]
    assert kept[0]["content"] == system and kept[2]["content"] == "short"  # short ones whole
    for original, message in ((stubs, kept[1]), (feedback, kept[3])):
        text = message["content"]
        assert text.startswith(original[:5]) and text.endswith(original[-5:]), text[:80]
        assert f"… [{len(original)} characters, " in text and " cut here] …" in text
    total = sum(len(m["content"]) for m in kept)
    assert MAX_PROMPT_CHARS - 400 <= total <= MAX_PROMPT_CHARS
    assert abs(len(kept[1]["content"]) - len(kept[3]["content"])) <= 1  # the long ones share equally
    reply = tags["gen_ai.output.messages"][0]["content"]
    assert reply.startswith("REPLY-START") and reply.endswith("REPLY-END") and len(reply) <= MAX_REPLY_CHARS
