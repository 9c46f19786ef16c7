"""Reading a flow's name and declared inputs from its source text, without running it.

This is what the operator does in Java (FlowParser), by the same contract (flows/CONTRACT.md) and
with the same messages; `python3 -m herologic inspect FLOW.py` prints the result. It is why
`name` and `inputs` must be literals.
"""
from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Tuple, Union

from . import contract

_FunctionNode = Union[ast.FunctionDef, ast.AsyncFunctionDef]


class FlowSource:
    """The `@flow` function found in source text: function name, flow name, declared inputs."""

    def __init__(self, function: str, name: str, line: int, declared: List[Dict[str, Any]]) -> None:
        self.function = function
        self.name = name
        self.line = line
        self.declared = declared
        self.inputs = contract.spec_of(declared)

    def as_dict(self) -> Dict[str, Any]:
        """What `inspect` prints: the flow name and the declared inputs as the operator stores them."""
        return {"name": self.name, "function": self.function, "inputs": self.declared}


class FlowDeclarationError(ValueError):
    """The source holds no usable `@flow`; the message is the contract's, with its line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


def _is_flow(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Name):
        return target.id == "flow"
    return isinstance(target, ast.Attribute) and target.attr == "flow"


def read_flow(text: str, filename: str = "<flow>") -> FlowSource:
    """The one `@flow` of a module's source; raises SyntaxError, or FlowDeclarationError (CONTRACT.md)."""
    tree = ast.parse(text, filename)
    decorated: List[Tuple[int, ast.AST, ast.expr]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            decorated.extend((d.lineno, node, d) for d in node.decorator_list if _is_flow(d))
    found: Optional[FlowSource] = None
    for line, node, decorator in sorted(decorated, key=lambda item: item[0]):
        if node not in tree.body:
            raise FlowDeclarationError(line, "@flow must decorate a top-level function")
        if found is not None:
            raise FlowDeclarationError(line, f"a second @flow; the first is on line {found.line}. "
                                             "A WorkflowVersion holds exactly one flow")
        try:
            found = _read(node, decorator, line)
        except contract.DeclarationError as exc:
            raise FlowDeclarationError(line, str(exc)) from None
    if found is None:
        raise FlowDeclarationError(0, "no function decorated with @flow (add `from herologic import flow` "
                                      "and `@flow(name=\"...\")`)")
    return found


def _read(node: ast.AST, decorator: ast.expr, line: int) -> FlowSource:
    name: Optional[str] = None
    inputs: Optional[Any] = None
    if isinstance(decorator, ast.Call):
        if len(decorator.args) > 1:
            raise contract.DeclarationError("@flow takes only a name and inputs (found a second positional argument)")
        if decorator.args:
            name = _name(decorator.args[0])
        for keyword in decorator.keywords:
            if keyword.arg == "name":
                name = _name(keyword.value)
            elif keyword.arg == "inputs":
                inputs = _literal(keyword.value, contract.INPUTS_RULE)
            else:
                raise contract.DeclarationError(f"@flow takes only a name and inputs (found {keyword.arg or '**'}=)")
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise contract.DeclarationError("@flow must decorate a function (def or async def)")
    parameters, takes_keywords = _parameters(node)
    declared = contract.declare(node.name, parameters, takes_keywords, inputs)
    return FlowSource(node.name, name or node.name, line, declared)


def _name(node: ast.expr) -> str:
    value = _literal(node, contract.NAME_RULE)
    if not isinstance(value, str) or not value:
        raise contract.DeclarationError(contract.NAME_RULE)
    return value


def _literal(node: ast.expr, rule: str) -> Any:
    """A JSON-like Python literal (str, number, bool, None, list/tuple, dict with str keys), or `rule`."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise contract.DeclarationError(rule) from None
    if not _json_like(value):
        raise contract.DeclarationError(rule)
    return contract.json_value(value) if not isinstance(value, str) else value


def _json_like(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    return False


def _parameters(node: _FunctionNode) -> Tuple[Dict[str, Any], bool]:
    """Parameter -> its literal default, NO_DEFAULT, or UNKNOWN_DEFAULT (not a literal); and **kwargs."""
    args = node.args
    positional = list(args.posonlyargs) + list(args.args)
    defaults: List[Optional[ast.expr]] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults)) + list(zip(args.kwonlyargs, args.kw_defaults))
    parameters: Dict[str, Any] = {}
    for arg, default in pairs:
        if arg.arg == "self":
            continue
        if default is None:
            parameters[arg.arg] = contract.NO_DEFAULT
            continue
        try:
            value = ast.literal_eval(default)
            parameters[arg.arg] = value if _json_like(value) else contract.UNKNOWN_DEFAULT
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            parameters[arg.arg] = contract.UNKNOWN_DEFAULT
    return parameters, args.kwarg is not None
