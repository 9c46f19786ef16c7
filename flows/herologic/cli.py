"""`python -m herologic ...`: run a flow locally, render a Play's span tree, run as a Pod.

    python -m herologic run FLOW.py [--input k=v ...] [--inputs JSON] [--json | --events]
                                    [--otlp-endpoint URL [--otlp-header k=v ...]] [--traceparent TP]
    python -m herologic tree [FILE|-] [--watch "kubectl get play X -o json"]
    python -m herologic run-pod FLOW.py      (same as python -m herologic.runner)
    python -m herologic inspect FLOW.py      (name and declared inputs, read statically)
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Union

from . import otlp
from .assemble import PlayAssembler
from .core import parse_traceparent
from .render import TreeRenderer
from .source import read_flow

TERMINAL_PHASES = ("Succeeded", "Failed", "Cancelled")
SDK_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_inputs(pairs: List[str], spec: Dict[str, Dict[str, Any]], base: Optional[str] = None) -> Dict[str, Any]:
    """`key=value` pairs as inputs: a value is JSON when it parses as JSON, except for
    inputs declared `"type": "string"`, which stay text."""
    inputs: Dict[str, Any] = {}
    if base:
        value = json.loads(base)
        if not isinstance(value, dict):
            raise ValueError("--inputs must be a JSON object")
        inputs.update(value)
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--input {pair!r}: expected key=value")
        if (spec.get(key) or {}).get("type") == "string":
            inputs[key] = text
            continue
        try:
            inputs[key] = json.loads(text)
        except ValueError:
            inputs[key] = text
    return inputs


def renderer_for(args: argparse.Namespace) -> TreeRenderer:
    tty = sys.stdout.isatty()
    color = args.color == "always" or (args.color == "auto" and tty and not os.environ.get("NO_COLOR"))
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    width = shutil.get_terminal_size((120, 40)).columns if tty else 120
    return TreeRenderer(color=color, unicode=encoding.startswith("utf"), max_logs=args.logs, width=width)


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def cmd_run(args: argparse.Namespace) -> int:
    """Run a flow file with the real runner in a subprocess and show its span tree."""
    try:
        with open(args.flow, encoding="utf-8") as handle:
            spec = read_flow(handle.read(), args.flow).inputs
    except (OSError, SyntaxError, ValueError) as exc:
        print(f"herologic run: {exc}", file=sys.stderr)
        return 2
    try:
        inputs = parse_inputs(args.input, spec, args.inputs)
        trace_id, parent_span_id = parse_traceparent(args.traceparent) if args.traceparent else (None, None)
        otlp_url = otlp.traces_url(args.otlp_endpoint, os.environ)
        otlp_headers = otlp.export_headers(args.otlp_header, os.environ)
    except ValueError as exc:
        print(f"herologic run: {exc}", file=sys.stderr)
        return 2
    if args.otlp_header and otlp_url is None:
        print("herologic run: --otlp-header needs --otlp-endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT)", file=sys.stderr)
        return 2
    env = dict(os.environ)
    env["HEROLOGIC_INPUTS"] = json.dumps(inputs)
    env["PYTHONPATH"] = SDK_PARENT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("HEROLOGIC_INPUTS_FILE", None)
    if trace_id:
        env["HEROLOGIC_TRACE_ID"] = trace_id  # the runner's trace id: the run continues that trace
    assembler = PlayAssembler()
    recorder = otlp.TraceRecorder(parent_span_id) if otlp_url else None
    process = subprocess.Popen([sys.executable, "-m", "herologic.runner", args.flow], stdout=subprocess.PIPE,
                               env=env, text=True, encoding="utf-8", errors="replace")
    assert process.stdout is not None
    while True:
        try:
            for line in process.stdout:
                assembler.feed_line(line)
                if recorder is not None:
                    recorder.feed_line(line)
                if args.events:
                    sys.stdout.write(line)
                    sys.stdout.flush()
            break
        except KeyboardInterrupt:  # the runner got SIGINT too: keep reading its last events
            continue
    code = _exit_code(process.wait())
    assembler.finish(code)
    if args.json:
        print(json.dumps(assembler.play(), indent=2, ensure_ascii=False))
    elif not args.events:
        sys.stdout.write(renderer_for(args).render(assembler.play()))
    if recorder is not None and otlp_url is not None:
        _export_trace(recorder, otlp_url, otlp_headers)
    return code


def _export_trace(recorder: otlp.TraceRecorder, url: str, headers: Dict[str, str]) -> None:
    """Send the run's trace; a failure is reported on stderr and leaves the run's exit code as it is."""
    try:
        sent = otlp.export(url, recorder.requests(), headers)
    except otlp.ExportError as exc:
        print(f"herologic run: the trace was not exported: {exc}", file=sys.stderr)
        return
    print(f"herologic run: exported {sent} spans of trace {recorder.trace_id} to {url}", file=sys.stderr)


def load_play_text(text: str) -> List[Dict[str, Any]]:
    value = json.loads(text)
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return [item for item in value["items"] if isinstance(item, dict)]
    if not isinstance(value, dict):
        raise ValueError("expected a Play object (kubectl get play NAME -o json)")
    return [value]


def cmd_tree(args: argparse.Namespace) -> int:
    """Render a Play's span tree from a file or stdin, or keep re-running --watch CMD until it ends."""
    renderer = renderer_for(args)
    if args.watch:
        return watch_play(args.watch, renderer, args.interval, args.timeout)
    try:
        if args.file in (None, "-"):
            text = sys.stdin.read()
        else:
            with open(args.file) as handle:
                text = handle.read()
        plays = load_play_text(text)
    except (OSError, ValueError) as exc:
        print(f"herologic tree: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("\n".join(renderer.render(play) for play in plays))
    return 0


# `--watch` stops after this many failures in a row of the command, unless they say the Play is not there yet.
WATCH_MAX_FAILURES = 5


def _not_found_yet(stderr: str) -> bool:
    """kubectl's answer for a Play not created yet (`Error from server (NotFound): ... not found`): worth
    waiting for, unlike a refused connection or a wrong kubeconfig, which only repeat."""
    return "(NotFound)" in stderr or stderr.rstrip().endswith("not found")


def watch_play(command: Union[str, List[str]], renderer: TreeRenderer, interval: float = 1.0,
               timeout: float = 300) -> int:
    """Re-run `command` (a shell line, or an argv list run without a shell) every `interval` seconds,
    redraw the Play it prints, and return 0 once it Succeeded, 1 once it Failed or was Cancelled,
    or 1 after `timeout` seconds (0: never) or WATCH_MAX_FAILURES failures of the command in a row."""
    tty = sys.stdout.isatty()
    shown = command if isinstance(command, str) else " ".join(command)
    deadline = time.monotonic() + timeout if timeout > 0 else None
    last_problem = ""
    failures = 0
    while True:
        started = time.monotonic()
        try:
            done = subprocess.run(command, shell=isinstance(command, str), capture_output=True, text=True, timeout=30)
            if done.returncode != 0:
                failures = 0 if _not_found_yet(done.stderr) else failures + 1
                raise ValueError(f"`{shown}` exited {done.returncode}: {done.stderr.strip()[:300]}")
            failures = 0
            play = load_play_text(done.stdout)[0]
            phase = (play.get("status") or {}).get("phase")
            if tty:
                sys.stdout.write("\x1b[H\x1b[2J" + renderer.render(play))
                sys.stdout.flush()
            if phase in TERMINAL_PHASES:
                if not tty:
                    sys.stdout.write(renderer.render(play))
                return 0 if phase == "Succeeded" else 1
            last_problem = ""
        except subprocess.TimeoutExpired as exc:
            failures += 1
            if str(exc) != last_problem:
                print(f"herologic tree: {exc}", file=sys.stderr)
                last_problem = str(exc)
        except ValueError as exc:  # the command failed, or printed something that is not a Play
            if str(exc) != last_problem:
                print(f"herologic tree: {exc}", file=sys.stderr)
                last_problem = str(exc)
        if failures >= WATCH_MAX_FAILURES:
            print(f"herologic tree: stopped after {failures} failures in a row of `{shown}`", file=sys.stderr)
            return 1
        if deadline is not None and time.monotonic() > deadline:
            print(f"herologic tree: gave up after {timeout:g}s (--timeout 0 waits forever)", file=sys.stderr)
            return 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print the flow's name and declared inputs as JSON, read statically as the operator reads them
    (CONTRACT.md); or the contract's error on stderr, exit 2."""
    try:
        with open(args.flow, encoding="utf-8") as handle:
            found = read_flow(handle.read(), args.flow)
    except SyntaxError as exc:
        print(f"herologic inspect: line {exc.lineno}: invalid Python: {exc.msg}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"herologic inspect: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(found.as_dict(), indent=2, ensure_ascii=False))
    return 0


def view_options(command: argparse.ArgumentParser) -> None:
    """The options of every command that draws a tree."""
    command.add_argument("--logs", type=int, default=50, metavar="N",
                         help="log lines shown per span (default 50, -1 all, 0 none)")
    command.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m herologic", description="hero-logic flows: run, tree, run-pod, inspect")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run a flow locally (no cluster) and show its span tree")
    run.add_argument("flow")
    run.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                     help="an input; VALUE is JSON if it parses (except for string inputs), else text")
    run.add_argument("--inputs", metavar="JSON", help="all inputs as one JSON object (--input entries override)")
    output = run.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the Play (status with spans) as JSON")
    output.add_argument("--events", action="store_true", help="print the raw event stream")
    run.add_argument("--otlp-endpoint", metavar="URL",
                     help="also send the trace to this OTLP/HTTP receiver, JSON encoding (path /v1/traces unless the "
                          "URL has one; default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, then OTEL_EXPORTER_OTLP_ENDPOINT)")
    run.add_argument("--otlp-header", action="append", default=[], metavar="KEY=VALUE",
                     help="a header of the export request (after OTEL_EXPORTER_OTLP_HEADERS)")
    run.add_argument("--traceparent", metavar="00-TRACE-SPAN-01",
                     help="continue this W3C trace: its trace id, the flow's root span under its span id")
    view_options(run)
    run.set_defaults(handler=cmd_run)

    tree = commands.add_parser("tree", help="render a Play's span tree (kubectl get play NAME -o json)")
    tree.add_argument("file", nargs="?", help="Play JSON file, or - for stdin (default)")
    tree.add_argument("--watch", metavar="CMD", help="re-run CMD every interval and redraw until the Play ends")
    tree.add_argument("--interval", type=float, default=1.0)
    tree.add_argument("--timeout", type=float, default=300,
                      help="with --watch: give up after this many seconds (default 300, 0 never); the command failing "
                           f"{WATCH_MAX_FAILURES} times in a row stops it sooner, unless it says NotFound")
    view_options(tree)
    tree.set_defaults(handler=cmd_tree)

    pod = commands.add_parser("run-pod", help="what a Play's Pod runs: events on stdout")
    pod.add_argument("flow")
    pod.set_defaults(handler=None)

    inspect_cmd = commands.add_parser("inspect", help="show a flow file's name and declared inputs")
    inspect_cmd.add_argument("flow")
    inspect_cmd.set_defaults(handler=cmd_inspect)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of `python -m herologic`."""
    args = build_parser().parse_args(argv)
    if args.command == "run-pod":
        from . import runner
        runner.exit_after_run(runner.main([args.flow]))
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... | head` ends quietly
    return args.handler(args)
