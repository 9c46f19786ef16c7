"""calendar.yaml is generated from calendar_service.py and must stay in step with it."""
from __future__ import annotations

import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import CALENDAR_SCRIPT, EXAMPLES_DIR  # noqa: E402

MANIFEST = os.path.join(EXAMPLES_DIR, "calendar", "calendar.yaml")
_spec = importlib.util.spec_from_file_location(
    "make_manifest", os.path.join(EXAMPLES_DIR, "calendar", "make_manifest.py"))
make_manifest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_manifest)  # type: ignore[union-attr]


def _configmap_script(text: str, key: str = "calendar_service.py") -> str:
    """The block scalar under `<key>: |`, de-indented (no YAML library needed)."""
    lines = text.split("\n")
    start = lines.index(f"  {key}: |") + 1
    body = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        body.append(line[4:])
    return "\n".join(body).rstrip("\n") + "\n"


def test_committed_manifest_is_up_to_date():
    with open(MANIFEST, encoding="utf-8") as handle:
        committed = handle.read()
    assert committed == make_manifest.render(), (
        "calendar.yaml is stale: run python3 flows/examples/calendar/make_manifest.py "
        "> flows/examples/calendar/calendar.yaml")


def test_configmap_carries_the_script_verbatim():
    with open(CALENDAR_SCRIPT, encoding="utf-8") as handle:
        assert _configmap_script(make_manifest.render()) == handle.read()


def test_discovery_label_and_local_url():
    text = make_manifest.render(port=18555, namespace="e2e-1")
    assert 'herologic.io/discover: "true"' in text
    assert "herologic.io/rpc-url: http://127.0.0.1:18555/rpc" in text
    assert text.count("namespace: e2e-1") == 3
    assert 'value: "18555"' in text and "port: 18555" in text
    real = make_manifest.render(cluster_dns=True)
    assert "rpc-url" not in real and 'herologic.io/discover: "true"' in real


def test_another_server_with_its_files_and_arguments():
    """How the agent's end-to-end tests deploy an OpenRPC echo server beside the calendar."""
    tests = os.path.dirname(os.path.abspath(__file__))
    server = os.path.join(tests, "agent_support", "echo_rpc_server.py")
    document = os.path.join(tests, "openrpc_corpus", "by_position.json")
    text = make_manifest.render(port=18600, namespace="e2e-2", name="positions", script_path=server,
                                files=[document], args=["--document", "/app/by_position.json", "--port", "18600"])
    for path, key in ((server, "echo_rpc_server.py"), (document, "by_position.json")):
        with open(path, encoding="utf-8") as handle:
            assert _configmap_script(text, key) == handle.read()
    assert ('command: ["python3", "/app/echo_rpc_server.py", "--document", "/app/by_position.json", '
            '"--port", "18600"]') in text
    assert "name: positions-service" in text and text.count("  name: positions\n  namespace: e2e-2") == 2
    assert "calendar_service" not in text and "herologic.io/rpc-url: http://127.0.0.1:18600/rpc" in text
