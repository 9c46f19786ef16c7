"""Every golden fixture of flows/contract/ (CONTRACT.md) against the SDK: the static reader and
`herologic inspect`, `@flow` itself, the input checks, and the real runner in a subprocess.
JUnit runs the same files against the operator (ContractFixturesTest)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from typing import Any, Dict, List

import pytest

from sdk_support import FLOWS_DIR, run_runner, write_flow

from herologic import contract  # noqa: E402
from herologic.source import FlowDeclarationError, read_flow  # noqa: E402

CONTRACT_DIR = os.path.join(FLOWS_DIR, "contract")


def _cases(name: str) -> List[Dict[str, Any]]:
    with open(os.path.join(CONTRACT_DIR, name), encoding="utf-8") as handle:
        return json.load(handle)["cases"]


DECLARATIONS = _cases("declarations.json")
INPUTS = _cases("inputs.json")


def _source(case: Dict[str, Any]) -> str:
    return "\n".join(case["source"]) + "\n"


def _ids(cases: List[Dict[str, Any]]) -> List[str]:
    return [case["name"] for case in cases]


# ---- declarations -----------------------------------------------------------------------------

@pytest.mark.parametrize("case", DECLARATIONS, ids=_ids(DECLARATIONS))
def test_static_reader(case):
    if "error" in case:
        with pytest.raises(FlowDeclarationError) as raised:
            read_flow(_source(case))
        assert str(raised.value) == case["error"]
    else:
        found = read_flow(_source(case))
        assert (found.name, found.declared) == (case["flow"], case["inputs"])


@pytest.mark.parametrize("case", DECLARATIONS, ids=_ids(DECLARATIONS))
def test_inspect_command(case, tmp_path):
    path = write_flow(tmp_path, _source(case))
    proc = subprocess.run([sys.executable, "-m", "herologic", "inspect", path], capture_output=True, text=True,
                          cwd=FLOWS_DIR, timeout=60)
    if "error" in case:
        assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"herologic inspect: {case['error']}\n")
    else:
        assert proc.returncode == 0, proc.stderr
        printed = json.loads(proc.stdout)
        assert (printed["name"], printed["inputs"]) == (case["flow"], case["inputs"])


@pytest.mark.parametrize("case", DECLARATIONS, ids=_ids(DECLARATIONS))
def test_flow_decorator_at_run_time(case):
    """Executing the file: @flow raises the contract's message (without the line), or records the inputs."""
    if "runtime_error" in case:
        expected = case["runtime_error"]
    elif "error" in case:
        expected = re.sub(r"^line \d+: ", "", case["error"])
    else:
        expected = None
    namespace: Dict[str, Any] = {"__name__": "contract_fixture"}
    if expected is not None:
        with pytest.raises(contract.DeclarationError) as raised:
            exec(compile(_source(case), "flow.py", "exec"), namespace)
        assert str(raised.value) == expected
        return
    exec(compile(_source(case), "flow.py", "exec"), namespace)
    flows = [v.__herologic_flow__ for v in namespace.values() if hasattr(v, "__herologic_flow__")]
    if "flow" in case:
        (info,) = flows
        assert (info.name, info.declared) == (case["flow"], case.get("runtime_inputs", case["inputs"]))


# ---- inputs -----------------------------------------------------------------------------------

def _given_text(case: Dict[str, Any]) -> str:
    """The given inputs as JSON text; generated ones are written without ever nesting Python calls."""
    rule = case.get("generate")
    if rule is None:
        return json.dumps(case["given"], ensure_ascii=False)
    if "nest" in rule:
        opening, closing = ('{"%s":' % rule["key"], "}") if rule["nest"] == "object" else ("[", "]")
        value = opening * rule["levels"] + "1" + closing * rule["levels"]
    else:
        value = json.dumps(rule["string"] * rule["repeat"], ensure_ascii=False)
    also = "".join(f",{json.dumps(k)}:{json.dumps(v)}" for k, v in rule.get("also", {}).items())
    return "{%s:%s%s}" % (json.dumps(rule["input"]), value, also)


def _given_value(case: Dict[str, Any]) -> Any:
    rule = case.get("generate")
    if rule is None:
        return case["given"]
    if "nest" in rule:
        value: Any = 1
        for _ in range(rule["levels"]):  # inside out: no recursion
            value = {rule["key"]: value} if rule["nest"] == "object" else [value]
    else:
        value = rule["string"] * rule["repeat"]
    return {rule["input"]: value, **rule.get("also", {})}


def _expected_effective(case: Dict[str, Any]) -> Dict[str, Any]:
    if case.get("effective", "as given") == "as given":  # an operator_only case has problems instead
        return dict(_given_value(case), **case.get("plus", {}))
    return case["effective"]


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@pytest.mark.parametrize("case", INPUTS, ids=_ids(INPUTS))
def test_input_checks(case):
    given = _given_value(case)
    problems = contract.check_inputs(case["declared"], given)
    if "problems" in case and not case.get("operator_only"):
        assert problems == case["problems"]
    else:
        assert problems == []
        assert contract.effective_inputs(case["declared"], given) == _expected_effective(case)


ECHO_FLOW = '''
import hashlib, json
from herologic import flow

@flow(name="contract", inputs=%r)
def contract(**inputs):
    return {"keys": sorted(inputs), "sha256": hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode()).hexdigest()}
'''


@pytest.mark.parametrize("case", INPUTS, ids=_ids(INPUTS))
def test_runner(case, tmp_path):
    """The Pod's view: exit 2 with the same message and the usual error events, or exit 0 with the effective inputs."""
    path = write_flow(tmp_path, ECHO_FLOW % contract.spec_of(case["declared"]))
    inputs_file = tmp_path / "inputs.json"
    inputs_file.write_text(_given_text(case), encoding="utf-8")
    result = run_runner(path, HEROLOGIC_INPUTS_FILE=str(inputs_file))
    assert result.types()[0] == "run_start" and result.types()[-1] == "run_end", result.describe()
    assert result.root()["name"] == "contract"
    if "problems" in case and not case.get("operator_only"):
        assert result.returncode == 2, result.describe()
        assert result.one("error")["error"]["message"] == "; ".join(case["problems"])
        assert result.one("run_end")["status"] == "failed"
        assert "RecursionError" not in result.stdout + result.stderr
    else:
        assert result.returncode == 0, result.describe()
        effective = _expected_effective(case)
        assert result.one("output")["value"] == {"keys": sorted(effective), "sha256": _digest(effective)}
