"""Secret settings, held in the runner's memory instead of its environment.

Any process a flow starts (a `run_python` script, `subprocess.run`, a model-written
script) runs as the same uid and inherits the environment. So at start the runner moves
every variable named in SECRET_VARIABLES out of `os.environ` into this module
(`withhold_secrets`): no child inherits them, and with the runner non-dumpable (see
runner.py) no other process can read them back from `/proc/<pid>/environ` either. Code in
the runner process reads them with `secret(name)`; LLM users call `herologic.llm_settings()`.

To protect another setting, add its variable name to SECRET_VARIABLES.
"""
from __future__ import annotations

import os
from typing import Dict, List, MutableMapping, Optional, Tuple

#: The environment variables that hold secrets.
SECRET_VARIABLES: Tuple[str, ...] = ("HEROLOGIC_LLM_API_KEY",)

_withheld: Dict[str, str] = {}


def withhold_secrets(environ: Optional[MutableMapping[str, str]] = None) -> List[str]:
    """Move the SECRET_VARIABLES present in `environ` (default `os.environ`) into this
    module's memory and delete them there; returns the names moved."""
    environ = os.environ if environ is None else environ
    moved = []
    for name in SECRET_VARIABLES:
        value = environ.pop(name, None)
        if value is not None:
            _withheld[name] = value
            moved.append(name)
    return moved


def secret(name: str) -> Optional[str]:
    """The secret setting `name` (one of SECRET_VARIABLES): the value the runner withheld,
    else the environment's own (a flow module used outside the runner), else None."""
    if name not in SECRET_VARIABLES:
        raise KeyError(f"{name} is not a secret setting (those are: {', '.join(SECRET_VARIABLES)})")
    if name in _withheld:
        return _withheld[name]
    return os.environ.get(name)
