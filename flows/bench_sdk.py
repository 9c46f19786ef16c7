"""Micro-benchmark: the cost of one empty `step` (enter + exit) inside a running flow.

Events are written to /dev/null through the same Emitter and os.write path the runner
uses, so this is the per-span cost a flow pays. Run: python3 bench_sdk.py [N]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from herologic import core, step  # noqa: E402
from herologic.events import Emitter  # noqa: E402


def per_span_ns(n: int, max_spans: int, tags: bool = False) -> float:
    """Nanoseconds per empty step over `n` steps (best of 5 rounds), loop overhead subtracted."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    run = core.Run(Emitter(fd=devnull), max_spans=max_spans)
    core.activate(run)
    run.start_root("bench")
    best = float("inf")
    try:
        for _ in range(5):
            start = time.perf_counter_ns()
            if tags:
                for _ in range(n):
                    with step("s", i=1):
                        pass
            else:
                for _ in range(n):
                    with step("s"):
                        pass
            elapsed = time.perf_counter_ns() - start
            start = time.perf_counter_ns()
            for _ in range(n):
                pass
            best = min(best, (elapsed - (time.perf_counter_ns() - start)) / n)
    finally:
        core.activate(None)
        os.close(devnull)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    emitted = per_span_ns(n, max_spans=10 ** 9)
    tagged = per_span_ns(n, max_spans=10 ** 9, tags=True)
    capped = per_span_ns(n, max_spans=0)
    print(f"python {sys.version.split()[0]}, {n} spans per round, best of 5")
    print(f"per-span cost (empty step, 2 events to /dev/null): {emitted:.0f} ns")
    print(f"per-span cost with one tag:                       {tagged:.0f} ns")
    print(f"per-span cost past the span cap (nothing emitted): {capped:.0f} ns")


if __name__ == "__main__":
    main()
