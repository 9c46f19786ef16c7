"""Helpers for the SDK's tests: running the real runner in a subprocess, reading its
events, and an in-process run whose events are collected in memory."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from typing import Any, Dict, List, Optional

FLOWS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if FLOWS_DIR not in sys.path:
    sys.path.insert(0, FLOWS_DIR)

from herologic import core  # noqa: E402
from herologic.events import MARKER, Emitter  # noqa: E402


def parse_stream(stdout: str) -> "Stream":
    """Split the runner's stdout into events and other lines; every marker line must be valid JSON."""
    events, other = [], []
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            events.append(json.loads(line[len(MARKER):]))  # raises if a line was corrupted
        elif line:
            other.append(line)
    return Stream(events, other)


class Stream:
    """The events of one run, with lookups by type and span name."""

    def __init__(self, events: List[Dict[str, Any]], other_lines: Optional[List[str]] = None) -> None:
        self.events = events
        self.other_lines = other_lines or []

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    def one(self, kind: str) -> Dict[str, Any]:
        found = self.of_type(kind)
        assert len(found) == 1, f"expected one {kind} event, got {len(found)}: {self.types()}"
        return found[0]

    def types(self) -> List[str]:
        return [e["type"] for e in self.events]

    def span(self, name: str) -> Dict[str, Any]:
        """The span_start event of the span called `name` (exactly one)."""
        found = [e for e in self.of_type("span_start") if e["name"] == name]
        assert len(found) == 1, f"expected one span {name!r}, got {len(found)}"
        return found[0]

    def end_of(self, span_id: str) -> Dict[str, Any]:
        found = [e for e in self.of_type("span_end") if e["span_id"] == span_id]
        assert len(found) == 1, f"span {span_id} ended {len(found)} times"
        return found[0]

    def logs_of(self, span_id: str) -> List[str]:
        return [e["message"] for e in self.of_type("span_log") if e["span_id"] == span_id]

    def tags_of(self, span_id: str) -> Dict[str, Any]:
        tags: Dict[str, Any] = {}
        for event in self.events:
            if event.get("span_id") == span_id and event["type"] in ("span_start", "span_tag"):
                tags.update(event["tags"])
        return tags

    def root(self) -> Dict[str, Any]:
        roots = [e for e in self.of_type("span_start") if e["parent_id"] is None]
        assert len(roots) == 1, f"expected one root span, got {len(roots)}"
        return roots[0]


class RunnerResult(Stream):
    """A finished runner process: exit code, stderr, and its event stream."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        stream = parse_stream(stdout)
        super().__init__(stream.events, stream.other_lines)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def describe(self) -> str:
        return f"exit {self.returncode}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-2000:]}"


def write_flow(directory: Any, source: str, name: str = "flow.py") -> str:
    """Write a flow file (source is dedented) and return its path."""
    path = os.path.join(str(directory), name)
    with open(path, "w") as handle:
        handle.write(textwrap.dedent(source))
    return path


def runner_env(inputs: Optional[Dict[str, Any]] = None, **extra: str) -> Dict[str, str]:
    """The environment a Pod gives the runner, with this SDK on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEROLOGIC_", "KUBERNETES_"))}
    env["PYTHONPATH"] = FLOWS_DIR
    if inputs is not None:
        env["HEROLOGIC_INPUTS"] = json.dumps(inputs)
    env.update(extra)
    return env


def start_runner(path: str, inputs: Optional[Dict[str, Any]] = None, **env: str) -> subprocess.Popen:
    """Start `python3 -m herologic.runner path` with pipes for stdout and stderr."""
    return subprocess.Popen([sys.executable, "-m", "herologic.runner", path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=runner_env(inputs, **env), text=True)


def run_runner(path: str, inputs: Optional[Dict[str, Any]] = None, timeout: float = 60, **env: str) -> RunnerResult:
    """Run the runner to completion."""
    proc = subprocess.run([sys.executable, "-m", "herologic.runner", path], capture_output=True, text=True,
                          env=runner_env(inputs, **env), timeout=timeout)
    return RunnerResult(proc.returncode, proc.stdout, proc.stderr)


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 15) -> List[str]:
    """Read stdout lines until one contains `needle`; returns the lines read."""
    assert proc.stdout is not None
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"{needle!r} not seen in {lines!r}")


def finish(proc: subprocess.Popen, timeout: float = 15) -> "tuple[str, str]":
    """The rest of stdout and stderr of a process started by start_runner (communicate() would
    miss what readline() already buffered)."""
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait(timeout)
    return out, err


class MemoryRun(Stream):
    """An in-process run (no runner) whose events are collected here: `with MemoryRun() as run:`."""

    def __init__(self, root: str = "test", max_spans: int = 10_000) -> None:
        super().__init__([])
        self.lines: List[bytes] = []
        self.run = core.Run(Emitter(self.lines.append), max_spans=max_spans)
        self.root_name = root

    def __enter__(self) -> "MemoryRun":
        core.activate(self.run)
        self.root_span = self.run.start_root(self.root_name)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.root_span.end()
        core._CURRENT.reset(self.root_span._token)
        core.activate(None)
        self.collect()

    def collect(self) -> "MemoryRun":
        """Decode the lines written so far into `events`."""
        self.events = [json.loads(line.decode()[len(MARKER):]) for line in self.lines]
        return self
