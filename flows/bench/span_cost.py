"""The SDK's cost per span beside the OpenTelemetry Python SDK, in the same process and run.

What is compared (each an empty `with ...: pass` block, so only the tracing is measured):

  herologic            `with step("s"):` inside a running flow; its two event lines
                       (span_start, span_end) go through the runner's own Emitter and
                       os.write path to /dev/null: exactly what a flow pays in a Pod.
  otel_console         `with tracer.start_as_current_span("s"):` with a TracerProvider whose
                       SimpleSpanProcessor exports every span at its end through a
                       ConsoleSpanExporter writing one compact JSON line per span
                       (span.to_json(indent=None)) to /dev/null, flushed per span: the same
                       work as herologic's (build the span, serialise it, write it out
                       synchronously). This is the headline comparison.
  otel_console_indent  the same with ConsoleSpanExporter's stock formatter (indent=4 JSON).
  otel_no_export       a TracerProvider with no span processor: spans are still created,
                       recorded, made current and ended, nothing is serialised or written.
                       A lower bound for OpenTelemetry, not a fair comparison.
  *_tag                the same with one tag / attribute (i=1) given at span start.

Method: each variant runs N spans per round; rounds are interleaved across variants
(A B C ... A B C ...) so a noisy neighbour hurts all of them alike; a round's time minus
an empty loop of N, divided by N, is that round's ns/span; the best and the median of the
rounds are reported. `herologic_over_otel` = herologic / otel_console (best of rounds).

Run:  python span_cost.py [--n 30000] [--rounds 5] [--json OUT]
(needs `opentelemetry-sdk` importable for the OTel rows; `make bench` creates a venv.)
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

FLOWS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, FLOWS)

from herologic import core, step  # noqa: E402
from herologic.events import Emitter  # noqa: E402


def _loop_ns(n):
    start = time.perf_counter_ns()
    for _ in range(n):
        pass
    return time.perf_counter_ns() - start


# ---- herologic ----------------------------------------------------------------------------------

class HerologicRun:
    def __init__(self):
        self.fd = os.open(os.devnull, os.O_WRONLY)
        self.run = core.Run(Emitter(fd=self.fd), max_spans=10 ** 12)

    def __enter__(self):
        core.activate(self.run)
        self.root = self.run.start_root("bench")
        return self

    def __exit__(self, *exc):
        core.activate(None)
        os.close(self.fd)


def herologic_plain(n):
    start = time.perf_counter_ns()
    for _ in range(n):
        with step("s"):
            pass
    return time.perf_counter_ns() - start


def herologic_tag(n):
    start = time.perf_counter_ns()
    for _ in range(n):
        with step("s", i=1):
            pass
    return time.perf_counter_ns() - start


# ---- OpenTelemetry --------------------------------------------------------------------------------

def otel_tracers():
    """Tracers of separate TracerProviders (not the global one), or {} without the SDK."""
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
    except ImportError:
        return {}, None
    devnull = open(os.devnull, "w")  # noqa: SIM115 (kept open for the whole run)
    compact = TracerProvider()
    compact.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(
        out=devnull, formatter=lambda span: span.to_json(indent=None) + os.linesep)))
    indent = TracerProvider()
    indent.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=devnull)))
    bare = TracerProvider()
    return {
        "otel_console": compact.get_tracer("bench"),
        "otel_console_indent": indent.get_tracer("bench"),
        "otel_no_export": bare.get_tracer("bench"),
    }, devnull


def otel_plain(tracer):
    def body(n):
        start = time.perf_counter_ns()
        for _ in range(n):
            with tracer.start_as_current_span("s"):
                pass
        return time.perf_counter_ns() - start
    return body


def otel_tag(tracer):
    def body(n):
        start = time.perf_counter_ns()
        for _ in range(n):
            with tracer.start_as_current_span("s", attributes={"i": 1}):
                pass
        return time.perf_counter_ns() - start
    return body


def otel_version():
    try:
        from importlib.metadata import version
        return version("opentelemetry-sdk")
    except Exception:  # noqa: BLE001
        return None


# ---- the run --------------------------------------------------------------------------------------

def measure(n, rounds):
    tracers, devnull = otel_tracers()
    variants = {"herologic": herologic_plain, "herologic_tag": herologic_tag}
    for name, tracer in tracers.items():
        variants[name] = otel_plain(tracer)
    if "otel_console" in tracers:
        variants["otel_console_tag"] = otel_tag(tracers["otel_console"])
    samples = {name: [] for name in variants}
    with HerologicRun():
        for body in variants.values():  # warm up: imports, caches, first allocations
            body(min(n, 2000))
        for _ in range(rounds):
            for name, body in variants.items():
                elapsed = body(n)
                samples[name].append(max(0.0, (elapsed - _loop_ns(n)) / n))
    if devnull is not None:
        devnull.close()
    results = {name: {"best_ns": round(min(v), 1), "median_ns": round(statistics.median(v), 1),
                      "rounds_ns": [round(x, 1) for x in v]} for name, v in samples.items()}
    ratios = {}
    if "otel_console" in results:
        ratios["herologic_over_otel_console"] = round(results["herologic"]["best_ns"] / results["otel_console"]["best_ns"], 3)
        ratios["herologic_tag_over_otel_console_tag"] = round(
            results["herologic_tag"]["best_ns"] / results["otel_console_tag"]["best_ns"], 3)
        ratios["herologic_over_otel_no_export"] = round(results["herologic"]["best_ns"] / results["otel_no_export"]["best_ns"], 3)
    return results, ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=30000, help="spans per round and variant")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="write the results as JSON to this file")
    args = parser.parse_args()
    results, ratios = measure(args.n, args.rounds)
    doc = {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "opentelemetry_sdk": otel_version(),
        "spans_per_round": args.n,
        "rounds": args.rounds,
        "variants": results,
        "ratios": ratios,
        "method": "empty `with` block per span; rounds interleaved across variants; per round (elapsed - empty loop) / N; "
                  "herologic: 2 event lines per span via its Emitter and os.write to /dev/null; otel_console: "
                  "SimpleSpanProcessor + ConsoleSpanExporter (one compact JSON line per span, flushed) to /dev/null",
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
    print(f"python {doc['python']}, opentelemetry-sdk {doc['opentelemetry_sdk'] or 'not installed'}, "
          f"{args.n} spans x {args.rounds} rounds (interleaved)")
    for name, r in results.items():
        print(f"  {name:22s} best {r['best_ns']:9.0f} ns/span   median {r['median_ns']:9.0f} ns/span")
    for name, value in ratios.items():
        print(f"  {name:38s} {value:.2f}")


if __name__ == "__main__":
    main()
