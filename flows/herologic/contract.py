"""The `@flow` contract (flows/CONTRACT.md): what a declaration may say and which inputs a run accepts.

The operator implements the same rules in Java (FlowParser, InputValidator); the golden fixtures in
flows/contract/ hold both to the same results and the same messages. Nothing here recurses on inputs:
they come from whoever created the Play, and may be nested thousands of levels deep.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple

INPUT_TYPES = ("string", "integer", "number", "boolean", "object", "array")
SPEC_KEYS = ("type", "default", "description")
#: Levels of nesting of the inputs object (itself level 1) and bytes of its compact UTF-8 JSON.
MAX_INPUT_DEPTH = 32
MAX_INPUT_BYTES = 192 * 1024

NAME_RULE = "@flow name must be a non-empty string literal"
INPUTS_RULE = "@flow inputs must be a literal dict of input name to spec"
NOT_AN_OBJECT = "spec.inputs must be a JSON object of input name to value"
ROOT = "spec.inputs"

#: A parameter default that the static reader cannot evaluate: the input is optional, its value unknown.
UNKNOWN_DEFAULT = object()
#: A parameter without a default.
NO_DEFAULT = object()

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SHOWN_CHARS = 40


class DeclarationError(TypeError):
    """A `@flow` declaration breaks the contract; the message is the contract's."""


class InputError(ValueError):
    """The inputs of a run do not match the flow's declared inputs or signature."""


# ---- values, types, paths -------------------------------------------------------------------

def has_type(kind: str, value: Any) -> bool:
    """Does `value` (parsed JSON) have the JSON type `kind`? An integer has no fraction: 2.0 is not one."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    return True


def with_article(kind: str) -> str:
    """"an integer", "a string"."""
    return ("an " if kind[0] in "ioa" else "a ") + kind


def describe(value: Any) -> str:
    """The kind of a value and, for a scalar, the value: `string "3"`, `number 2.0`, `object`."""
    if isinstance(value, str):
        quoted = json.dumps(value, ensure_ascii=False)
        return "string " + (quoted[:_SHOWN_CHARS] + "…" if len(quoted) > _SHOWN_CHARS else quoted)
    if isinstance(value, bool):
        return "boolean " + ("true" if value else "false")
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return type(value).__name__


def key_step(key: str) -> str:
    """One step of a path: `.name` for an identifier, else `["any key"]`."""
    return "." + key if _IDENTIFIER.match(key) else "[" + json.dumps(key, ensure_ascii=False) + "]"


def json_value(value: Any) -> Any:
    """`value` as JSON would give it back (tuples become lists); UNKNOWN_DEFAULT when it is not JSON."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return UNKNOWN_DEFAULT


# ---- the declaration ------------------------------------------------------------------------

def declare(function: str, parameters: Dict[str, Any], takes_keywords: bool,
            inputs: Optional[Any]) -> List[Dict[str, Any]]:
    """The declared inputs (name, type, required, defaultValue, description), or DeclarationError.

    `parameters` maps each parameter (not self, *args, **kwargs) to its default, NO_DEFAULT or
    UNKNOWN_DEFAULT; `inputs` is the value of `inputs=` (None: the parameters are the inputs).
    The checks run in the order CONTRACT.md lists them, as FlowParser runs them.
    """
    if inputs is None:
        return [_input(name, None, default) for name, default in parameters.items()]
    if not isinstance(inputs, dict):
        raise DeclarationError(INPUTS_RULE)
    declared = []
    for name, spec in inputs.items():
        problem = f"input '{name}': "
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise DeclarationError(problem + "not a Python identifier")
        if not isinstance(spec, dict):
            raise DeclarationError(problem + 'the spec must be a dict such as {"type": "string"}')
        for key in spec:
            if key not in SPEC_KEYS:
                raise DeclarationError(problem + f"unknown key '{key}' (allowed: type, default, description)")
        kind = spec.get("type")
        if "type" in spec and kind not in INPUT_TYPES:
            shown = kind if isinstance(kind, str) else _compact(kind)
            raise DeclarationError(problem + f"unknown type '{shown}' (use one of {', '.join(INPUT_TYPES)})")
        if "description" in spec and not isinstance(spec["description"], str):
            raise DeclarationError(problem + "description must be a string")
        if "default" in spec:
            default = json_value(spec["default"])
            if default is not None and kind is not None and not has_type(kind, default):
                raise DeclarationError(problem + f"default must be {with_article(kind)}, got {describe(spec['default'])}")
        if name not in parameters and not takes_keywords:
            raise DeclarationError(problem + f"not a parameter of {function}()")
        declared.append(_input(name, spec, parameters.get(name, NO_DEFAULT)))
    for name, default in parameters.items():
        if default is NO_DEFAULT and name not in inputs:
            raise DeclarationError(f"parameter '{name}' of {function}() has no default and is not a declared input")
    return declared


def _input(name: str, spec: Optional[Dict[str, Any]], parameter_default: Any) -> Dict[str, Any]:
    spec = spec or {}
    entry: Dict[str, Any] = {"name": name}
    if "type" in spec:
        entry["type"] = spec["type"]
    entry["required"] = "default" not in spec and parameter_default is NO_DEFAULT
    if "default" in spec:
        entry["defaultValue"] = json_value(spec["default"])
    elif parameter_default not in (NO_DEFAULT, UNKNOWN_DEFAULT):
        shown = json_value(parameter_default)
        if shown is not UNKNOWN_DEFAULT:
            entry["defaultValue"] = shown
    if "description" in spec:
        entry["description"] = spec["description"]
    return entry


def spec_of(declared: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """The declared inputs as `@flow(inputs=...)` would write them: name -> {type, default, description}."""
    specs = {}
    for entry in declared:
        spec = {}
        if "type" in entry:
            spec["type"] = entry["type"]
        if "defaultValue" in entry:
            spec["default"] = entry["defaultValue"]
        if "description" in entry:
            spec["description"] = entry["description"]
        specs[entry["name"]] = spec
    return specs


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


# ---- the inputs -----------------------------------------------------------------------------

def shape_problem(inputs: Any) -> Optional[str]:
    """The first of rules 1-3 (an object, 32 levels, 192 KiB) that `inputs` breaks, or None."""
    given = {} if inputs is None else inputs
    if not isinstance(given, dict):
        return NOT_AN_OBJECT
    too_deep = first_container_below(given, MAX_INPUT_DEPTH)
    if too_deep is not None:
        return f"{too_deep}: nested deeper than {MAX_INPUT_DEPTH} levels"
    size = compact_json_bytes(given)
    if size > MAX_INPUT_BYTES:
        return f"{ROOT}: {size} bytes of JSON, more than the 192 KiB ({MAX_INPUT_BYTES} bytes) limit"
    return None


def check_inputs(declared: List[Dict[str, Any]], inputs: Any) -> List[str]:
    """Every problem of `inputs` (parsed JSON; None: no inputs) against the declared inputs."""
    shape = shape_problem(inputs)
    if shape is not None:
        return [shape]
    given = inputs or {}
    by_name: Dict[str, Dict[str, Any]] = {}
    for entry in declared:
        by_name.setdefault(entry["name"], entry)
    problems = []
    for name, value in given.items():
        path = ROOT + key_step(name)
        entry = by_name.get(name)
        if entry is None:
            problems.append(f"{path}: the flow declares no such input (it takes: {', '.join(by_name) or 'none'})")
        elif entry.get("type") and not has_type(entry["type"], value):
            problems.append(f"{path}: must be {with_article(entry['type'])}, got {describe(value)}")
    for name, entry in by_name.items():
        if entry.get("required") and name not in given:
            about = f" ({entry['description']})" if entry.get("description") is not None else ""
            problems.append(f"{ROOT}{key_step(name)}: required by the flow but missing{about}")
    return problems


def effective_inputs(declared: List[Dict[str, Any]], inputs: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """What the flow is called with: the given inputs, plus the default of each declared input not given."""
    effective = dict(inputs or {})
    for entry in declared:
        if entry["name"] not in effective and "defaultValue" in entry:
            effective[entry["name"]] = entry["defaultValue"]
    return effective


def first_container_below(root: Any, max_depth: int) -> Optional[str]:
    """The path of the first container (depth-first, document order) deeper than `max_depth`, or None."""
    stack: List[Tuple[Any, str, int]] = [(root, ROOT, 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > max_depth:
            return path
        if isinstance(node, dict):
            children = [(v, path + key_step(str(k)), depth + 1) for k, v in node.items() if isinstance(v, (dict, list))]
        else:
            children = [(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node) if isinstance(v, (dict, list))]
        stack.extend(reversed(children))
    return None


def compact_json_bytes(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON; only for values within the depth limit."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    return len(text.encode("utf-8", "surrogatepass"))


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]')


def parse_inputs(text: str, source: str) -> Dict[str, Any]:
    """Inputs from JSON text (empty or null: none), checked for depth *before* parsing, so that deep
    input is an InputError, never a RecursionError; then for being an object and its size."""
    if not text.strip():
        return {}
    too_deep = _first_container_below_in_text(text, MAX_INPUT_DEPTH)
    if too_deep is not None:
        raise InputError(f"{too_deep}: nested deeper than {MAX_INPUT_DEPTH} levels"
                         if text.lstrip().startswith("{") else NOT_AN_OBJECT)
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise InputError(f"{source} is not valid JSON: {exc}") from None
    shape = shape_problem(value)
    if shape is not None:
        raise InputError(shape)
    return value or {}


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _first_container_below_in_text(text: str, max_depth: int) -> Optional[str]:
    """Like first_container_below, on JSON text, without parsing it (a cheap bracket count first)."""
    depth = deepest = 0
    for bracket in re.finditer(r"[\[\]{}]", _STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    if deepest <= max_depth:
        return None
    # frames: [is_object, step into this container, current key or index, expecting a key]
    frames: List[List[Any]] = []
    for token in _TOKEN.finditer(text):
        t = token.group()
        top = frames[-1] if frames else None
        if t in "{[":
            step = "" if top is None else key_step(top[2]) if top[0] else f"[{top[2]}]"
            frames.append([t == "{", step, 0 if t == "[" else "", t == "{"])
            if len(frames) > max_depth:
                return ROOT + "".join(frame[1] for frame in frames)
        elif t in "}]":
            if frames:
                frames.pop()
        elif top is None:
            continue
        elif t == ",":
            if top[0]:
                top[3] = True
            else:
                top[2] += 1
        elif t == ":":
            top[3] = False
        elif top[0] and top[3]:
            top[2] = json.loads(t)
    return None
