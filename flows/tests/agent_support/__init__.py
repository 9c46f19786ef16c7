"""Helpers for the service-agent and calendar tests: real server processes,
a JSON-RPC call, running a flow locally and reading its event stream."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any, Dict, Iterable, List, Optional

FLOWS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES_DIR = os.path.join(FLOWS_DIR, "examples")
CALENDAR_SCRIPT = os.path.join(EXAMPLES_DIR, "calendar", "calendar_service.py")
FAKE_LLM_SCRIPT = os.path.join(EXAMPLES_DIR, "fake_llm", "fake_llm_server.py")
AGENT_FLOW = os.path.join(FLOWS_DIR, "builtin", "service_agent_v3.py")
MARKER = "@@herologic@@ "


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server started as a real subprocess, stopped by stop() or `with`."""

    def __init__(self, argv: List[str], ready_text: str, port: int, timeout: float = 10) -> None:
        self.port = port
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=FLOWS_DIR)
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if ready_text not in line or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"{argv[1]} did not start: {line!r}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class CalendarServer(ServerProcess):
    def __init__(self) -> None:
        port = free_port()
        super().__init__([sys.executable, CALENDAR_SCRIPT, "--host", "127.0.0.1",
                          "--port", str(port), "--quiet"], "calendar listening", port)
        self.url = f"http://127.0.0.1:{port}/rpc"

    def call(self, method: str, params: Any = None) -> Any:
        return rpc_call(self.url, method, params)


class FakeLlmServer(ServerProcess):
    def __init__(self, script: Any, api_key: Optional[str] = None,
                 script_dir: Optional[str] = None, script_file: Optional[str] = None) -> None:
        port = free_port()
        argv = [sys.executable, FAKE_LLM_SCRIPT, "--host", "127.0.0.1", "--port", str(port),
                "--quiet"]
        if script_file is not None:
            argv += ["--script", script_file]
        elif script is not None:
            path = os.path.join(script_dir or "/tmp", f"fake-llm-script-{port}.json")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(script, handle)
            argv += ["--script", path]
        if api_key:
            argv += ["--api-key", api_key]
        super().__init__(argv, "fake-llm listening", port)
        self.base_url = f"http://127.0.0.1:{port}/v1"

    def requests(self) -> List[Dict[str, Any]]:
        return http_json("GET", f"http://127.0.0.1:{self.port}/admin/requests")

    def set_script(self, script: Any) -> Any:
        return http_json("POST", f"http://127.0.0.1:{self.port}/admin/script", script)

    def chat_requests(self) -> List[Dict[str, Any]]:
        """The chat-completions requests that reached the script (auth passed)."""
        return [r for r in self.requests() if "reply" in r or r.get("status") == 500]


def http_json(method: str, url: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
              timeout: float = 10) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode("utf-8"))


class RpcFailure(Exception):
    def __init__(self, error: Dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.error = error


def rpc_call(url: str, method: str, params: Any = None) -> Any:
    """One JSON-RPC 2.0 call, returning the result or raising RpcFailure."""
    message: Dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        message["params"] = params
    answer = http_json("POST", url, message)
    if "error" in answer:
        raise RpcFailure(answer["error"])
    return answer["result"]


def python_block(code: str) -> str:
    """Wrap code the way a model answers: prose, then a ```python block."""
    return "Here is the script:\n\n```python\n" + code.strip("\n") + "\n```\n"


# ---------------------------------------------------------------- events

def parse_events(stdout: str) -> List[Dict[str, Any]]:
    """The marker events in a run's stdout, in order."""
    events = []
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            events.append(json.loads(line[len(MARKER):]))
    return events


class Span(dict):
    """One span assembled from its events (a dict, with children attached)."""

    @property
    def children(self) -> List["Span"]:
        return self["children"]

    def descendants(self) -> Iterable["Span"]:
        for child in self.children:
            yield child
            yield from child.descendants()


def assemble_spans(events: List[Dict[str, Any]]) -> Dict[str, Span]:
    """span_id -> Span with name, kind, parent_id, status, tags, logs, error."""
    spans: Dict[str, Span] = {}
    for event in events:
        span_id = event.get("span_id")
        if not span_id:
            continue
        kind = event["type"]
        if kind == "span_start":
            spans[span_id] = Span(id=span_id, name=event.get("name"), kind=event.get("kind"),
                                  parent_id=event.get("parent_id"), tags=dict(event.get("tags") or {}),
                                  logs=[], status="running", error=None, children=[],
                                  attributes=event)
            continue
        span = spans.get(span_id)
        if span is None:
            continue
        if kind == "span_end":
            span["status"] = event.get("status")
            if event.get("error"):
                span["error"] = event["error"]
            span["tags"].update(event.get("tags") or {})
        elif kind == "span_log":
            span["logs"].append(event)
        elif kind == "span_tag":
            span["tags"].update(event.get("tags") or {})
        elif kind == "error":
            span["error"] = event.get("error") or event
    for span in spans.values():
        parent = spans.get(span["parent_id"] or "")
        if parent is not None:
            parent["children"].append(span)
    return spans


def log_text(span: Dict[str, Any]) -> str:
    return "\n".join(str(entry.get("message", entry.get("line", ""))) for entry in span["logs"])


def spans_named(spans: Dict[str, Span], name: str) -> List[Span]:
    return [span for span in spans.values() if span["name"] == name]


def tree_text(spans: Dict[str, Span]) -> str:
    """An indented outline of the span tree, for assertion messages."""
    lines: List[str] = []

    def walk(span: Span, depth: int) -> None:
        error = span.get("error") or {}
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        lines.append(f"{'  ' * depth}{span['name']} [{span['kind']}] {span['status']} {message}"[:200])
        for child in span.children:
            walk(child, depth + 1)

    for span in spans.values():
        if span["parent_id"] not in spans:
            walk(span, 0)
    return "\n".join(lines)


# ---------------------------------------------------------------- running the agent

class FlowRun:
    """The outcome of one local run of a flow: exit code, events, spans, output or error."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.events = parse_events(stdout)
        self.spans = assemble_spans(self.events)

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [event for event in self.events if event["type"] == kind]

    @property
    def output(self) -> Any:
        outputs = self.of_type("output")
        return outputs[-1]["value"] if outputs else None

    @property
    def error(self) -> Dict[str, Any]:
        errors = self.of_type("error")
        return errors[-1]["error"] if errors else {}

    @property
    def error_message(self) -> str:
        return str(self.error.get("message", ""))

    def named(self, name: str) -> List[Span]:
        return spans_named(self.spans, name)

    def one(self, name: str) -> Span:
        found = self.named(name)
        assert len(found) == 1, f"expected one span {name!r}, found {len(found)}:\n{self.tree()}"
        return found[0]

    def tree(self) -> str:
        return tree_text(self.spans)

    def describe(self) -> str:
        """Everything useful for an assertion message."""
        return (f"exit {self.returncode}; error: {self.error_message}\n{self.tree()}\n"
                f"stderr: {self.stderr[-2000:]}")


def run_flow(flow_file: str, inputs: Dict[str, Any], env: Dict[str, str],
             timeout: float = 90) -> FlowRun:
    """Run a flow file the way a Play's Pod does (`python3 -m herologic.runner`)."""
    child_env = {key: value for key, value in os.environ.items()
                 if not key.startswith(("HEROLOGIC_", "KUBERNETES_"))}
    child_env["PYTHONPATH"] = FLOWS_DIR
    child_env["HEROLOGIC_INPUTS"] = json.dumps(inputs)
    child_env.update(env)
    proc = subprocess.run([sys.executable, "-m", "herologic.runner", flow_file], cwd=FLOWS_DIR,
                          env=child_env, capture_output=True, text=True, timeout=timeout)
    return FlowRun(proc.returncode, proc.stdout, proc.stderr)


def agent_env(llm_base_url: str, services: Optional[str], **extra: str) -> Dict[str, str]:
    """The agent's configuration for a local run with short timeouts."""
    env = {
        "HEROLOGIC_LLM_BASE_URL": llm_base_url,
        "HEROLOGIC_LLM_API_KEY": "test-key",
        "HEROLOGIC_LLM_MODEL": "fake-model",
        "HEROLOGIC_LLM_TIMEOUT_S": "5",
        "HEROLOGIC_LLM_BACKOFF_S": "0.05",
        "HEROLOGIC_LLM_RETRIES": "3",
        "HEROLOGIC_RPC_TIMEOUT_S": "5",
        # no service account here: a test that wants Kubernetes sets these itself
        "HEROLOGIC_SA_DIR": "/nonexistent-service-account",
    }
    if services is not None:
        env["HEROLOGIC_SERVICES"] = services
    env.update(extra)
    return env


class JsonHttpServer:
    """An in-process HTTP server answering JSON from `answer(method, path, body) -> (status, obj)`,
    recording the paths it was asked for (a fake Kubernetes API, a broken JSON-RPC service)."""

    def __init__(self, answer: Any) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.paths: List[str] = []
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                server_self.paths.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                status, payload = answer(self.command, self.path, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "JsonHttpServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def jsonrpc_answer(result: Any) -> Any:
    """An `answer` function for JsonHttpServer: every JSON-RPC call returns `result`."""
    def answer(method: str, path: str, body: Any) -> Any:
        request_id = body.get("id") if isinstance(body, dict) else None
        return 200, {"jsonrpc": "2.0", "id": request_id, "result": result}
    return answer
