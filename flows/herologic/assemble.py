"""Events to a Play's status: the Python twin of the operator's span assembly.

Local mode uses it to show a run the way `kubectl get play -o json` shows one, so the
terminal tree has one renderer for both (render.py).
"""
from __future__ import annotations

import datetime
import json
from typing import Any, Dict, Iterable, List, Optional

from .events import MARKER

MAX_DEPTH = 32


def rfc3339(ts: float) -> str:
    """Unix seconds as RFC 3339 UTC with milliseconds (2025-01-02T03:04:05.678Z)."""
    moment = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class PlayAssembler:
    """Feed it the runner's stdout lines (in order; repeats are ignored by `seq`), then read `play()`."""

    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name
        self.last_seq = 0
        self.spans: Dict[str, Dict[str, Any]] = {}
        self.root_id: Optional[str] = None
        self.early_logs: List[str] = []
        self.flow: Optional[str] = None
        self.trace_id: Optional[str] = None
        self.inputs: Any = None
        self.phase = "Pending"
        self.output: Any = None
        self.has_output = False
        self.error: Optional[Dict[str, Any]] = None
        self.dropped: Dict[str, int] = {}
        self.started: Optional[float] = None
        self.duration_s: Optional[float] = None

    def feed_lines(self, lines: Iterable[str]) -> "PlayAssembler":
        """Feed many lines."""
        for line in lines:
            self.feed_line(line)
        return self

    def feed_line(self, line: str) -> None:
        """One stdout line: an event behind the marker, or a stray line kept as a root-span log."""
        line = line.rstrip("\n")
        if line.startswith(MARKER):
            try:
                event = json.loads(line[len(MARKER):])
            except ValueError:
                event = None
            if isinstance(event, dict):
                self.feed_event(event)
                return
        if not line:
            return
        root = self.spans.get(self.root_id or "")
        if root is not None:
            root["logs"].append(line)
        else:
            self.early_logs.append(line)

    def feed_event(self, event: Dict[str, Any]) -> None:
        """One decoded event; events with a seq already seen are ignored (re-reading is idempotent)."""
        seq = event.get("seq", 0)
        if not isinstance(seq, int) or seq <= self.last_seq:
            return
        self.last_seq = seq
        kind, ts = event.get("type"), float(event.get("ts", 0.0))
        span = self.spans.get(event.get("span_id") or "")
        if kind == "run_start":
            self.flow, self.trace_id, self.inputs = event.get("flow"), event.get("trace_id"), event.get("inputs")
            self.started, self.phase = ts, "Running"
        elif kind == "span_start":
            span = {"id": event["span_id"], "parentId": event.get("parent_id"), "name": event.get("name", ""),
                    "kind": event.get("kind", "step"), "status": "Running", "start": ts, "end": None,
                    "tags": dict(event.get("tags") or {}), "logs": [], "error": None, "tokens": None}
            self.spans[span["id"]] = span
            if span["parentId"] is None and self.root_id is None:
                self.root_id = span["id"]
                span["logs"].extend(self.early_logs)
                self.early_logs = []
        elif kind == "span_tag" and span is not None:
            span["tags"].update(event.get("tags") or {})
        elif kind == "span_log" and span is not None:
            span["logs"].append(event.get("message", ""))
        elif kind == "span_end" and span is not None:
            span["end"] = ts
            span["status"] = "Error" if event.get("status") == "error" else "Ok"
            span["error"] = event.get("error")
        elif kind == "tokens" and span is not None:  # the span's running totals: latest wins
            span["tokens"] = (int(event.get("input_tokens") or 0), int(event.get("output_tokens") or 0))
        elif kind == "output":
            self.output, self.has_output = event.get("value"), True
        elif kind == "error":
            self.error = event.get("error")
        elif kind == "dropped":
            self.dropped = {"spans": event.get("spans", 0), "logs": event.get("logs", 0),
                            "bytes": event.get("log_bytes", 0)}
        elif kind == "run_end":
            self.phase = "Succeeded" if event.get("status") == "succeeded" else "Failed"
            self.duration_s = event.get("duration_s")

    def finish(self, exit_code: Optional[int] = None) -> None:
        """The runner exited: a run that never reported run_end failed."""
        if self.phase in ("Pending", "Running"):
            self.phase = "Failed"
            if self.error is None:
                self.error = {"type": "RunnerExited",
                              "message": f"the runner exited (code {exit_code}) before the run ended", "traceback": ""}

    def span_list(self) -> List[Dict[str, Any]]:
        """The spans as the operator writes `status.spans`: flat, parents first, depth-first by start time."""
        children: Dict[Optional[str], List[Dict[str, Any]]] = {}
        for span in self.spans.values():
            parent = span["parentId"] if span["parentId"] in self.spans else None
            children.setdefault(parent, []).append(span)
        out: List[Dict[str, Any]] = []
        stack = [(top, 0) for top in sorted(children.get(None, []), key=lambda s: s["start"], reverse=True)]
        while stack:  # iterative: nesting can be deeper than Python's recursion limit
            span, depth = stack.pop()
            item = {"id": span["id"], "parentId": span["parentId"], "name": span["name"], "kind": span["kind"],
                    "status": span["status"], "startTime": rfc3339(span["start"]), "depth": min(depth, MAX_DEPTH),
                    "tags": span["tags"], "logs": span["logs"]}
            if span["end"] is not None:
                item["durationMs"] = int(round((span["end"] - span["start"]) * 1000))
            if span["error"]:
                item["error"] = span["error"]
            out.append(item)
            kids = sorted(children.get(span["id"], []), key=lambda s: s["start"], reverse=True)
            stack.extend((child, depth + 1) for child in kids)
        return out

    def token_totals(self) -> Dict[str, int]:
        """Tokens of the run: per span its latest `tokens` event (else its gen_ai.usage tags), summed."""
        totals = {"input": 0, "output": 0}
        for span in self.spans.values():
            counts = span["tokens"] or (span["tags"].get("gen_ai.usage.input_tokens", 0),
                                        span["tags"].get("gen_ai.usage.output_tokens", 0))
            for key, value in zip(("input", "output"), counts):
                totals[key] += value if isinstance(value, int) and not isinstance(value, bool) else 0
        return {**totals, "total": totals["input"] + totals["output"]}

    def play(self) -> Dict[str, Any]:
        """A Play object shaped like the operator's (what `kubectl get play -o json` shows)."""
        status: Dict[str, Any] = {"phase": self.phase, "spans": self.span_list(), "tokens": self.token_totals()}
        if self.trace_id:
            status["traceId"] = self.trace_id
        if self.started is not None:
            status["startTime"] = rfc3339(self.started)
        if self.duration_s is not None:
            status["durationMs"] = int(round(self.duration_s * 1000))
        if self.has_output:
            status["output"] = self.output
        if self.error:
            status["error"] = self.error
        if self.dropped:
            status["dropped"] = self.dropped
        return {"apiVersion": "herologic.io/v1alpha1", "kind": "Play",
                "metadata": {"name": self.name or self.flow or "local"},
                "spec": {"workflow": self.flow, "inputs": self.inputs or {}}, "status": status}
