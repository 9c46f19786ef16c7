"""The terminal span tree of a Play (from the operator's status, or from local mode's events)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

_GLYPHS = {"tee": "├─ ", "last": "└─ ", "pipe": "│  ", "gap": "   ", "log": "│ ",
           "Ok": "✓", "Error": "✗", "Running": "●", "more": "…"}
_ASCII = {"tee": "|- ", "last": "`- ", "pipe": "|  ", "gap": "   ", "log": "| ",
          "Ok": "+", "Error": "x", "Running": "*", "more": "..."}
_COLORS = {"Ok": "32", "Error": "31", "Running": "33", "dim": "2", "bold": "1", "red": "31"}
_HIDDEN_TAGS = ("exception.type", "exception.message", "exception.stacktrace")


def format_duration(ms: Optional[float]) -> str:
    """12 ms, 1.23 s, 2m03s."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{int(ms)} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    minutes, seconds = divmod(int(ms // 1000), 60)
    return f"{minutes}m{seconds:02d}s"


class TreeRenderer:
    """Renders a Play object (dict) as text lines; colour and Unicode are options."""

    def __init__(self, color: bool = False, unicode: bool = True, max_logs: int = 50, width: int = 120) -> None:
        self.color = color
        self.glyph = _GLYPHS if unicode else _ASCII
        self.max_logs = max_logs
        self.width = max(width, 40)

    def paint(self, text: str, style: str) -> str:
        """`text` in an ANSI colour when colour is on."""
        return f"\x1b[{_COLORS[style]}m{text}\x1b[0m" if self.color and text else text

    def render(self, play: Dict[str, Any]) -> str:
        """The whole Play: header, span tree, output, error."""
        status = play.get("status") or {}
        lines = [self._header(play, status)]
        lines.extend(self.tree(status.get("spans") or []))
        lines.extend(self._footer(status))
        return "\n".join(lines) + "\n"

    def _header(self, play: Dict[str, Any], status: Dict[str, Any]) -> str:
        name = (play.get("metadata") or {}).get("name", "?")
        phase = status.get("phase") or "Pending"
        style = {"Succeeded": "Ok", "Failed": "Error", "Cancelled": "Error"}.get(phase, "Running")
        parts = [self.paint(f"Play {name}", "bold"), self.paint(phase, style)]
        if status.get("durationMs") is not None:
            parts.append(format_duration(status["durationMs"]))
        tokens = status.get("tokens") or {}
        if tokens.get("total"):
            parts.append(f"tokens {tokens.get('input', 0)} in / {tokens.get('output', 0)} out")
        return "  ".join(parts)

    def _footer(self, status: Dict[str, Any]) -> List[str]:
        lines = []
        dropped = status.get("dropped") or {}
        if any(dropped.values()):
            lines.append(self.paint("dropped: " + ", ".join(f"{k} {v}" for k, v in dropped.items() if v), "dim"))
        if "output" in status:
            compact = json.dumps(status["output"], ensure_ascii=False, default=str)
            text = [compact] if len(compact) <= 100 else json.dumps(
                status["output"], indent=2, ensure_ascii=False, default=str).splitlines()
            if len(text) > 40:
                text = text[:40] + [f"{self.glyph['more']} {len(text) - 40} more lines"]
            lines.append(self.paint("output:", "bold") + (" " + text[0] if len(text) == 1 else ""))
            if len(text) > 1:
                lines.extend("  " + line for line in text)
        error = status.get("error")
        if error:
            lines.append(self.paint("error: ", "bold") + self.paint(f"{error.get('type', 'Error')}: {error.get('message', '')}", "red"))
            spans = status.get("spans") or []
            if error.get("traceback") and not any((s.get("error") or {}).get("traceback") for s in spans):
                lines.extend("  " + self.paint(line, "red") for line in error["traceback"].rstrip().splitlines())
        return lines

    def tree(self, spans: List[Dict[str, Any]]) -> List[str]:
        """The span lines, nested by parentId (a span whose parent is missing is a top-level span)."""
        ids = {span.get("id") for span in spans}
        children: Dict[Optional[str], List[Dict[str, Any]]] = {}
        for span in spans:
            parent = span.get("parentId")
            children.setdefault(parent if parent in ids and parent != span.get("id") else None, []).append(span)
        lines: List[str] = []
        seen = set()
        stack = [(span, "", "", True) for span in reversed(children.get(None, []))]
        while stack:
            span, lead, cont, top = stack.pop()
            if id(span) in seen:
                continue
            seen.add(id(span))
            kids = children.get(span.get("id"), [])
            lines.append(lead + self._span_line(span))
            detail = cont + (self.glyph["pipe"] if kids else self.glyph["gap"])
            lines.extend(detail + line for line in self._details(span, kids))
            for index in range(len(kids) - 1, -1, -1):
                last = index == len(kids) - 1
                stack.append((kids[index], cont + self.glyph["last" if last else "tee"],
                              cont + self.glyph["gap" if last else "pipe"], False))
        return lines

    def _span_line(self, span: Dict[str, Any]) -> str:
        state = span.get("status", "Running")
        state = state if state in ("Ok", "Error", "Running") else "Running"
        parts = [self.paint(self.glyph[state], state), self.paint(str(span.get("name", "")), "bold"),
                 self.paint(str(span.get("kind", "")), "dim")]
        if span.get("durationMs") is not None:
            parts.append(format_duration(span["durationMs"]))
        elif state == "Running":
            parts.append(self.paint("running", "Running"))
        tags = span.get("tags") or {}
        if "gen_ai.usage.input_tokens" in tags or "gen_ai.usage.output_tokens" in tags:
            parts.append(self.paint(f"tokens {tags.get('gen_ai.usage.input_tokens', 0)}/"
                                    f"{tags.get('gen_ai.usage.output_tokens', 0)}", "dim"))
        return " ".join(parts)

    def _details(self, span: Dict[str, Any], kids: List[Dict[str, Any]]) -> List[str]:
        lines = []
        tags = {k: v for k, v in (span.get("tags") or {}).items() if k not in _HIDDEN_TAGS}
        if tags:
            text = "  ".join(f"{k}={self._short(v)}" for k, v in tags.items())
            lines.append(self.paint(self._clip(text, self.width - 10), "dim"))
        logs: List[str] = []
        for message in span.get("logs") or []:
            logs.extend(str(message).split("\n"))
        shown = logs if self.max_logs < 0 else logs[: self.max_logs]
        lines.extend(self.glyph["log"] + line for line in shown)
        if len(logs) > len(shown):
            lines.append(self.paint(f"{self.glyph['log']}{self.glyph['more']} {len(logs) - len(shown)} more log lines", "dim"))
        error = span.get("error")
        if error:
            lines.append(self.paint(f"{self.glyph['Error']} {error.get('type', 'Error')}: {error.get('message', '')}", "red"))
            same = any((k.get("error") or {}).get("message") == error.get("message") for k in kids)
            if error.get("traceback") and not same:  # show a traceback once, where the error arose
                lines.extend(self.paint("  " + line, "red") for line in error["traceback"].rstrip().splitlines())
        return lines

    def _short(self, value: Any) -> str:
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        return self._clip(text.replace("\n", "⏎" if self.glyph is _GLYPHS else " "), 80)

    def _clip(self, text: str, limit: int) -> str:
        return text if len(text) <= limit else text[: max(limit - 1, 1)] + self.glyph["more"]


def render_play(play: Dict[str, Any], color: bool = False, unicode: bool = True, max_logs: int = 50,
                width: int = 120) -> str:
    """The Play's span tree as text (see TreeRenderer)."""
    return TreeRenderer(color, unicode, max_logs, width).render(play)
