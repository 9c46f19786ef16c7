"""The built-in hello flow, and the SDK package's shipping constraints (flat, small, stdlib only, 3.9)."""
from __future__ import annotations

import ast
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import FLOWS_DIR, run_runner  # noqa: E402

from herologic.runner import load_flow  # noqa: E402
from herologic.source import read_flow  # noqa: E402

HELLO = os.path.join(FLOWS_DIR, "builtin", "hello.py")
SDK = os.path.join(FLOWS_DIR, "herologic")
# Modules that exist on python:3.9+ (sys.stdlib_module_names is 3.10+, so list what is used)
STDLIB = {"__future__", "argparse", "ast", "asyncio", "collections", "contextvars", "ctypes", "datetime", "functools",
          "fcntl", "importlib", "inspect", "io", "itertools", "json", "math", "os", "random", "re", "select", "shutil", "signal",
          "socket", "ssl", "subprocess", "sys", "tempfile", "termios", "textwrap", "threading", "time", "traceback",
          "typing", "urllib"}


def test_hello_runs_quickly_with_defaults_and_inputs():
    started = time.monotonic()
    result = run_runner(HELLO)
    assert result.returncode == 0, result.describe()
    assert result.one("output")["value"] == {"greeting": "Hello, world!", "steps": 3}
    assert time.monotonic() - started < 5
    names = [e["name"] for e in result.of_type("span_start")]
    assert names == ["hello", "prepare", "count", "step 1", "step 2", "step 3", "greet"]
    assert result.logs_of(result.span("greet")["span_id"]) == ["Hello, world!"]  # its print()
    assert result.tags_of(result.span("prepare")["span_id"]) == {"who": "world", "length": 13}
    ada = run_runner(HELLO, {"name": "Ada", "steps": 1})
    assert ada.one("output")["value"] == {"greeting": "Hello, Ada!", "steps": 1}
    assert ada.one("run_end")["duration_s"] < 1.0


def test_static_inputs_match_the_decorator():
    with open(HELLO) as handle:
        found = read_flow(handle.read())
    info = load_flow(HELLO)
    assert found.name == info.name == "hello"
    assert found.inputs == info.inputs
    assert found.inputs["name"] == {"type": "string", "default": "world", "description": "who to greet"}


def _not_mounted():
    """The files operator/pom.xml leaves out of the SDK ConfigMap (the terminal tools)."""
    pom = open(os.path.join(os.path.dirname(SDK), "..", "operator", "pom.xml")).read()
    sdk_resource = re.search(r"<directory>\.\./flows/herologic</directory>(.*?)</resource>", pom, re.S).group(1)
    return set(re.findall(r"<exclude>([^<]+)</exclude>", sdk_resource))


def test_package_is_flat_small_stdlib_only_and_python39():
    entries = [e for e in os.listdir(SDK) if e != "__pycache__"]
    assert all(e.endswith(".py") and os.path.isfile(os.path.join(SDK, e)) for e in entries), entries
    mounted = [e for e in entries if e not in _not_mounted()]
    assert "runner.py" in mounted and "cli.py" not in mounted, mounted
    total = sum(os.path.getsize(os.path.join(SDK, e)) for e in mounted)
    assert total < 150_000, f"the SDK ConfigMap would be {total} bytes"
    for entry in entries:
        with open(os.path.join(SDK, entry)) as handle:
            tree = ast.parse(handle.read(), entry, feature_version=(3, 9))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= STDLIB, f"{entry} imports {roots - STDLIB}"
