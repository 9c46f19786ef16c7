"""LLM call spans with OpenTelemetry GenAI tags and token counts, and the Play's LLM settings."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from . import settings
from .core import Span, StepContext
from .events import counters

#: How much of an LLM request's messages (their contents together) and of its reply an llm
#: span keeps, in characters. Chosen to fit the operator's share for an llm span's tags
#: (three quarters of TraceLimits.maxSpanBytes, 24 KiB by default, with a few small tags beside
#: them), so that what the Play's status shows is what the span recorded.
MAX_PROMPT_CHARS = 12 * 1024
MAX_REPLY_CHARS = 8 * 1024


def cut_middle(text: str, limit: int) -> str:
    """`text`, or its head and tail around a marker saying how much was cut there, `limit`
    characters in all (the end of a prompt or reply matters as much as its start)."""
    if len(text) <= limit:
        return text
    counters.values_cut += 1
    marker = f"\n… [{len(text)} characters, {len(text)} cut here] …\n"  # its longest form
    keep = max(0, limit - len(marker))
    head, tail = keep - keep // 2, keep // 2
    return f"{text[:head]}\n… [{len(text)} characters, {len(text) - keep} cut here] …\n{text[len(text) - tail:]}"


def fit_messages(messages: Any, limit: int = MAX_PROMPT_CHARS) -> Any:
    """Chat messages with their text contents cut to `limit` characters together: a short
    message is kept whole, the long ones share what is left equally and are cut in the middle
    (cut_middle), so every message's role, start and end stay visible. Anything that is not a
    list of messages with string contents is returned as given (the tag bounds apply)."""
    if not isinstance(messages, list) or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
        return messages
    sizes = sorted(range(len(messages)), key=lambda i: len(messages[i]["content"]))
    caps: Dict[int, int] = {}
    left, remaining = limit, len(messages)
    for index in sizes:  # water-filling: the smallest first take what they need
        share = left // remaining
        caps[index] = min(len(messages[index]["content"]), max(share, 200))
        left -= caps[index]
        remaining -= 1
    return [dict(m, content=cut_middle(m["content"], caps[i])) for i, m in enumerate(messages)]


class LlmSpan(Span):
    """A span of kind "llm" with helpers for the usual GenAI attributes."""

    __slots__ = ("_input_tokens", "_output_tokens")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._input_tokens = 0
        self._output_tokens = 0
        super().__init__(*args, **kwargs)

    def record_usage(self, input_tokens: int, output_tokens: int, response_model: Optional[str] = None) -> None:
        """Add token counts. The span's `gen_ai.usage.*` tags and the `tokens` event both carry
        the span's running totals, so the latest value per span is the span's count (the
        operator sums spans per Play); call it once per LLM response."""
        input_tokens, output_tokens = int(input_tokens or 0), int(output_tokens or 0)
        self._input_tokens += input_tokens
        self._output_tokens += output_tokens
        tags: Dict[str, Any] = {"gen_ai.usage.input_tokens": self._input_tokens,
                                "gen_ai.usage.output_tokens": self._output_tokens}
        if response_model:
            tags["gen_ai.response.model"] = str(response_model)
        self.tag(**tags)
        if self._live and not self._ended:
            model = str(response_model or self.tags.get("gen_ai.request.model", ""))
            self._run.emitter.emit("tokens", {"span_id": self.id, "input_tokens": self._input_tokens,
                                              "output_tokens": self._output_tokens, "model": model})

    def record_prompt(self, messages: Any) -> None:
        """Record the request's messages as `gen_ai.input.messages`: every message, their
        contents cut to MAX_PROMPT_CHARS together, long ones in the middle (fit_messages)."""
        self.tag("gen_ai.input.messages", fit_messages(messages))

    def record_reply(self, text: Any) -> None:
        """Record the reply text as `gen_ai.output.messages` (one assistant message, cut in
        the middle to MAX_REPLY_CHARS)."""
        self.tag("gen_ai.output.messages", [{"role": "assistant", "content": cut_middle(str(text), MAX_REPLY_CHARS)}])


def llm_span(model: str, provider: str = "openai", operation: str = "chat", **tags: Any) -> StepContext:
    """A span of kind "llm" named "{operation} {model}" (OpenTelemetry GenAI naming).

    `with llm_span("gpt-4o") as span: ... span.record_usage(12, 30)`. Tags:
    `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, and later
    `gen_ai.response.model`, `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`.
    """
    tags = {"gen_ai.operation.name": operation, "gen_ai.provider.name": provider,
            "gen_ai.request.model": model, **tags}
    return StepContext(f"{operation} {model}", "llm", tags, LlmSpan)


class LlmSettings:
    """Where this Play's LLM calls go, as the operator resolved them: the Play's `spec.llm`,
    else the Workflow's, else the namespace's LLM Secret (keys `baseUrl`, `model`, `apiKey`).

    The operator gives them only to Pods of Workflows that declare `spec.llm`, as the
    environment variables HEROLOGIC_LLM_BASE_URL, HEROLOGIC_LLM_MODEL and HEROLOGIC_LLM_API_KEY
    (the runner withholds the key from the environment: settings.py), plus HEROLOGIC_LLM_SECRET
    (that Secret's name) so that `where()` can tell a person what to fix. Outside a Play (local
    runs) the same variables are the configuration, and `where()` names them.
    """

    __slots__ = ("base_url", "model", "api_key", "secret_name", "namespace", "in_play", "max_tokens", "temperature")

    def __init__(self, base_url: str = "", model: str = "", api_key: str = "", secret_name: str = "",
                 namespace: str = "", in_play: bool = False, max_tokens: Optional[int] = None,
                 temperature: Optional[float] = None) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.secret_name = secret_name
        self.namespace = namespace
        self.in_play = in_play
        self.max_tokens = max_tokens  # None: not sent, the endpoint's default applies
        self.temperature = temperature  # None: not sent (some reasoning models refuse any value)

    def where(self, key: str) -> str:
        """Where a person sets the setting `key` ("baseUrl", "model" or "apiKey"), for error messages."""
        if not self.in_play:
            return _LOCAL_VARIABLES[key]
        field = "apiKeySecretRef" if key == "apiKey" else key
        if not self.secret_name:
            return (f"`spec.llm.{field}` on the Workflow (this Play's Workflow declares no `spec.llm`, "
                    "so its Pods get no LLM settings)")
        return (f"key `{key}` of Secret `{self.secret_name}` in namespace `{self.namespace}`, "
                f"or `spec.llm.{field}` on the Workflow or Play")

    def __repr__(self) -> str:  # never the key
        return (f"LlmSettings(base_url={self.base_url!r}, model={self.model!r}, "
                f"api_key={'set' if self.api_key else 'empty'}, secret_name={self.secret_name!r}, "
                f"max_tokens={self.max_tokens!r}, temperature={self.temperature!r})")


_LOCAL_VARIABLES = {"baseUrl": "HEROLOGIC_LLM_BASE_URL", "model": "HEROLOGIC_LLM_MODEL",
                    "apiKey": "HEROLOGIC_LLM_API_KEY"}


def _optional_number(name: str, kind: Any) -> Any:
    """The number in environment variable `name`, None when unset; ValueError naming it when not a number."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a{'n integer' if kind is int else ' number'}, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {text!r}")
    return value


def llm_settings() -> LlmSettings:
    """This Play's LLM settings (LlmSettings); empty strings for what is not set, None for
    `max_tokens` (HEROLOGIC_LLM_MAX_TOKENS) and `temperature` (HEROLOGIC_LLM_TEMPERATURE)
    when not set."""
    return LlmSettings(
        max_tokens=_optional_number("HEROLOGIC_LLM_MAX_TOKENS", int),
        temperature=_optional_number("HEROLOGIC_LLM_TEMPERATURE", float),
        base_url=os.environ.get("HEROLOGIC_LLM_BASE_URL", "").strip(),
        model=os.environ.get("HEROLOGIC_LLM_MODEL", "").strip(),
        api_key=(settings.secret("HEROLOGIC_LLM_API_KEY") or "").strip(),
        secret_name=os.environ.get("HEROLOGIC_LLM_SECRET", "").strip(),
        namespace=os.environ.get("HEROLOGIC_PLAY_NAMESPACE", "").strip(),
        in_play=bool(os.environ.get("HEROLOGIC_PLAY_NAME")))
