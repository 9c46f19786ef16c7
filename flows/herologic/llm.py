"""LLM call spans with OpenTelemetry GenAI tags and token counts."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .core import Span, StepContext
from .events import cut_str


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
        """Record the request's messages (as given, bounded) as `gen_ai.input.messages`."""
        self.tag("gen_ai.input.messages", messages)

    def record_reply(self, text: Any) -> None:
        """Record the reply text as `gen_ai.output.messages` (one assistant message, cut)."""
        self.tag("gen_ai.output.messages", [{"role": "assistant", "content": cut_str(str(text))}])


def llm_span(model: str, provider: str = "openai", operation: str = "chat", **tags: Any) -> StepContext:
    """A span of kind "llm" named "{operation} {model}" (OpenTelemetry GenAI naming).

    `with llm_span("gpt-4o") as span: ... span.record_usage(12, 30)`. Tags:
    `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, and later
    `gen_ai.response.model`, `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`.
    """
    tags = {"gen_ai.operation.name": operation, "gen_ai.provider.name": provider,
            "gen_ai.request.model": model, **tags}
    return StepContext(f"{operation} {model}", "llm", tags, LlmSpan)
