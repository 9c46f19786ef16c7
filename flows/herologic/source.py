"""Reading a flow's name and declared inputs from its source text, without running it.

This mirrors what the operator does in Java, which is why `inputs` must stay a literal dict.
"""
from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional


class FlowSource:
    """A `@flow` function found in source text: function name, flow name, declared inputs."""

    def __init__(self, function: str, name: str, inputs: Dict[str, Dict[str, Any]]) -> None:
        self.function = function
        self.name = name
        self.inputs = inputs

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        return {"function": self.function, "name": self.name, "inputs": self.inputs}


def _is_flow(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id == "flow"
    return isinstance(target, ast.Attribute) and target.attr == "flow"


def find_flows(text: str, filename: str = "<flow>") -> List[FlowSource]:
    """Every top-level `@flow` function of a module's source; raises SyntaxError or ValueError
    (a non-literal name or inputs)."""
    tree = ast.parse(text, filename)
    found = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if not _is_flow(decorator):
                continue
            name: Optional[str] = None
            inputs: Dict[str, Any] = {}
            if isinstance(decorator, ast.Call):
                if decorator.args and isinstance(decorator.args[0], ast.Constant):
                    name = decorator.args[0].value
                for keyword in decorator.keywords:
                    if keyword.arg not in ("name", "inputs"):
                        continue
                    try:
                        value = ast.literal_eval(keyword.value)
                    except ValueError:
                        raise ValueError(f"{filename}:{keyword.value.lineno}: @flow {keyword.arg}= must be a literal") from None
                    if keyword.arg == "name":
                        name = value
                    else:
                        inputs = value
            found.append(FlowSource(node.name, name or node.name, inputs))
    return found
