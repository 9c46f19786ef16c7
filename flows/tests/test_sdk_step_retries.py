"""step(..., retries=N): each try its own span, failures recorded on their try, the last re-raised."""
from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import MemoryRun  # noqa: E402

from herologic import step  # noqa: E402
from herologic.core import ATTEMPT_TAG, MAX_ATTEMPTS_TAG, RetryingStep, Terminated  # noqa: E402


def _tries(run, name):
    """(attempt tag, status, error type, error message) of each span called `name`, in start order."""
    out = []
    for start in run.of_type("span_start"):
        if start["name"] == name:
            end = run.end_of(start["span_id"])
            error = end.get("error") or {}
            out.append((start["tags"][ATTEMPT_TAG], start["tags"][MAX_ATTEMPTS_TAG], end["status"],
                        error.get("type"), error.get("message")))
    return out


def test_each_try_is_a_span_and_a_later_success_returns():
    calls = []

    @step("fetch", retries=3, backoff=0, url="u1")
    def fetch(x):
        calls.append(x)
        if len(calls) < 3:
            raise ConnectionError(f"try {len(calls)} refused")
        return x * 2

    with MemoryRun() as run:
        assert fetch(21) == 42
    assert calls == [21, 21, 21]
    assert _tries(run, "fetch") == [(1, 4, "error", "ConnectionError", "try 1 refused"),
                                    (2, 4, "error", "ConnectionError", "try 2 refused"),
                                    (3, 4, "ok", None, None)]
    first = run.of_type("span_start")[1]
    assert first["tags"]["url"] == "u1" and first["parent_id"] == run.root()["span_id"]
    # a failed try carries the OTel exception tags on its own span
    assert run.tags_of(first["span_id"])["exception.message"] == "try 1 refused"


def test_the_last_failure_is_raised_after_the_last_try():
    count = {"n": 0}

    def always_fails():
        count["n"] += 1
        raise ValueError(f"failure {count['n']}")

    with MemoryRun() as run:
        with pytest.raises(ValueError, match="^failure 3$"):
            step("parse", retries=2, backoff=0).call(always_fails)
    assert [t[2:4] for t in _tries(run, "parse")] == [("error", "ValueError")] * 3


def test_backoff_doubles_or_follows_the_function():
    assert [RetryingStep("s", "step", {}, 3, 0.5, (Exception,)).delay_after(n) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    waits = []

    def backoff(attempt):
        waits.append(attempt)
        return 0.05

    started = time.monotonic()
    with MemoryRun():
        with pytest.raises(RuntimeError):
            step("s", retries=2, backoff=backoff).call(lambda: (_ for _ in ()).throw(RuntimeError("no")))
    assert waits == [1, 2] and time.monotonic() - started >= 0.1


def test_only_the_chosen_exceptions_are_retried():
    calls = []

    @step("lookup", retries=5, backoff=0, retry_on=(TimeoutError,))
    def lookup():
        calls.append(1)
        raise KeyError("missing")

    with MemoryRun() as run:
        with pytest.raises(KeyError):
            lookup()
    assert len(calls) == 1 and len(_tries(run, "lookup")) == 1


@pytest.mark.parametrize("signal_exc", [Terminated("received SIGTERM"), KeyboardInterrupt()])
def test_sigterm_and_ctrl_c_are_never_retried(signal_exc):
    calls = []

    def stopped():
        calls.append(1)
        raise signal_exc

    with MemoryRun() as run:
        with pytest.raises(type(signal_exc)):
            step("slow", retries=3, backoff=0).call(stopped)
    assert len(calls) == 1 and _tries(run, "slow")[0][2] == "error"


def test_async_steps_retry_too():
    calls = []

    @step("ask", retries=1, backoff=0.01)
    async def ask():
        calls.append(1)
        await asyncio.sleep(0)
        if len(calls) == 1:
            raise TimeoutError("slow model")
        return "answer"

    with MemoryRun() as run:
        assert asyncio.run(ask()) == "answer"
    assert [t[:3] for t in _tries(run, "ask")] == [(1, 2, "error"), (2, 2, "ok")]


def test_a_with_block_cannot_be_retried_and_bad_arguments_are_named():
    with pytest.raises(TypeError, match="cannot wrap a `with` block"):
        with step("block", retries=2):
            pass
    with pytest.raises(ValueError, match="retries must be a non-negative integer, not -1"):
        step("x", retries=-1)
    with pytest.raises(ValueError, match="retries must be a non-negative integer, not 1.5"):
        step("x", retries=1.5)
    with pytest.raises(ValueError, match="backoff must be seconds"):
        step("x", retries=1, backoff=-2)


def test_retries_work_outside_a_run():
    calls = []

    @step("plain", retries=1, backoff=0)
    def plain():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("once")
        return "done"

    assert plain() == "done" and len(calls) == 2
