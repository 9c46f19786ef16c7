"""The stub generator on a corpus of OpenRPC 1.x documents written to cover the specification
(tests/openrpc_corpus): every generated stub is imported and called by a real Python process
against a real JSON-RPC server process serving that document, which echoes what it received.
Each document lists its calls (`x-calls`: Python call -> the JSON-RPC method and params that
must arrive) and texts its stub must hold (`x-stub-contains`, `x-doc-contains`); each document
in broken/ names the error it must give (`x-error`)."""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import subprocess
import sys
import types

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import (AGENT_FLOW, FLOWS_DIR, CalendarServer, ServerProcess,  # noqa: E402
                           free_port, rpc_call)

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "openrpc_corpus")
ECHO_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "agent_support", "echo_rpc_server.py")
GOOD = sorted(glob.glob(os.path.join(CORPUS, "*.json")))
BROKEN = sorted(glob.glob(os.path.join(CORPUS, "broken", "*.json")))


def _load(name: str, path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


agent = _load("service_agent_v3_corpus", AGENT_FLOW)


class EchoServer(ServerProcess):
    def __init__(self, document_path: str) -> None:
        port = free_port()
        super().__init__([sys.executable, ECHO_SERVER, "--document", document_path, "--port", str(port)],
                         "echo-rpc listening", port)
        self.url = f"http://127.0.0.1:{port}/rpc"


def run_script(stub_source: str, script: str, tmp_path) -> subprocess.CompletedProcess:
    """Write the stub module and the script, run the script as its own Python process."""
    (tmp_path / "services.py").write_text(stub_source, encoding="utf-8", errors="surrogateescape")
    (tmp_path / "script.py").write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEROLOGIC_")}
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{FLOWS_DIR}"
    return subprocess.run([sys.executable, str(tmp_path / "script.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)


def test_the_corpus_is_there():
    assert len(GOOD) >= 6 and len(BROKEN) >= 5


@pytest.mark.parametrize("path", GOOD, ids=[os.path.basename(p) for p in GOOD])
def test_generated_stub_calls_reach_the_server_as_declared(path, tmp_path):
    with open(path, encoding="utf-8") as handle:
        expected = json.load(handle)
    with EchoServer(path) as server:
        document = rpc_call(server.url, "rpc.discover")  # as the agent gets it
        service = agent.Service("svc", server.url, document)
        source = agent.stub_source([service], 5)
        lines = ["import json", "from services import svc", "results = []"]
        for entry in expected["x-calls"]:
            lines.append(f"results.append(svc.{entry['call']})")
        lines.append("print(json.dumps(results))")
        done = run_script(source, "\n".join(lines) + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results == [entry["sends"] for entry in expected["x-calls"]]
    for text in expected.get("x-stub-contains", []):
        assert text in source, f"{text!r} not in the stub:\n{source}"
    if expected.get("x-doc-contains"):
        namespace: dict = {}
        exec(compile(source, "services.py", "exec"), namespace)
        doc = type(namespace["svc"]).__doc__
        for text in expected["x-doc-contains"]:
            assert text in doc


@pytest.mark.parametrize("path", BROKEN, ids=[os.path.basename(p) for p in BROKEN])
def test_a_document_the_generator_cannot_read_names_the_service_and_why(path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    with pytest.raises(agent.OpenRpcError) as raised:
        agent.stub_source([agent.Service("odd", "http://odd/rpc", document)], 5)
    assert str(raised.value) == f"invalid OpenRPC document from service 'odd': {document['x-error']}"


def test_every_service_of_the_corpus_in_one_module(tmp_path):
    services = []
    for index, path in enumerate(GOOD):
        with open(path, encoding="utf-8") as handle:
            services.append(agent.Service(["svc", "svc", "class", "svc-2", "_call", "RPC_TIMEOUT_S"][index % 6],
                                          f"http://127.0.0.1:1/{index}", json.load(handle)))
    source = agent.stub_source(services, 5)
    done = run_script(source, "import services\nprint(sorted(n for n in vars(services) if not n.startswith('_')))\n",
                      tmp_path)
    assert done.returncode == 0, done.stderr
    names = eval(done.stdout)  # a printed list of str
    for instance in ("svc", "svc_2", "class_", "svc_2_2", "call", "RPC_TIMEOUT_S_"):
        assert instance in names, names
    assert names.count("RPC_TIMEOUT_S") == 1


def test_the_calendar_stub_against_the_calendar_service(tmp_path):
    with CalendarServer() as calendar:
        document = calendar.call("rpc.discover")
        source = agent.stub_source([agent.Service("calendar", calendar.url, document)], 5)
        script = '''
import json
from services import calendar, JsonRpcError
event = calendar.event_set(data={"title": "Corpus", "start_time": "2026-05-08T10:00:00Z",
    "end_time": "2026-05-08T11:00:00Z", "location": "", "description": "", "attendees": []})
got = calendar.event_get(id=event["id"])
try:
    calendar.event_set(data={"title": "partial"})
    refused = None
except JsonRpcError as exc:
    refused = exc.code
listed = [e["title"] for e in calendar.event_list()]
print(json.dumps({"same": got == event, "refused": refused, "listed": "Corpus" in listed}))
'''
        done = run_script(source, script, tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"same": True, "refused": -32602, "listed": True}
        assert "Corpus" in [e["title"] for e in calendar.call("event.list")]
