"""`kubectl herologic ...`: Plays from the terminal, with the user's own kubeconfig.

    kubectl herologic run WORKFLOW [--input k=v ...] [--inputs JSON] [--version V] [--name N] [--wait]
    kubectl herologic tree PLAY [--watch]
    kubectl herologic logs PLAY [--pod [-f]]
    kubectl herologic rerun PLAY [--latest] [--name N] [--wait]
    kubectl herologic cancel PLAY
    (each takes -n/--namespace, --context, --kubeconfig like kubectl itself)

Every API call is made by `kubectl` itself, so whatever the kubeconfig holds works (client
certificates, tokens, exec credential plugins, contexts) and every call is the user's own:
RBAC and the admission policies judge the person, never the operator. `make kubectl-plugin`
installs this module, with the rest of the SDK, as one executable file `kubectl-herologic`
(a Python zip application). It is a terminal tool: the operator does not ship it to flow Pods.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from typing import Any, Dict, List, Optional, Sequence

from . import contract
from .cli import TERMINAL_PHASES, load_play_text, parse_inputs, renderer_for, view_options, watch_play
from .plays import GROUP_VERSION, child_play_manifest

PROG = "kubectl herologic"
#: Set on a Play made by `rerun`: the Play it repeats.
RERUN_OF_ANNOTATION = "herologic.io/rerun-of"
#: Spec fields a rerun does not copy: a cancel is not part of what to run.
NOT_RERUN = ("cancel",)


class KubectlError(Exception):
    """kubectl failed; the message is what it said."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(stderr.strip() or f"kubectl {' '.join(args)} exited {returncode}")
        self.returncode = returncode
        self.not_found = "(NotFound)" in stderr
        self.forbidden = "(Forbidden)" in stderr


class Kubectl:
    """Runs kubectl with the chosen kubeconfig, context and namespace; answers come back as JSON."""

    def __init__(self, binary: str, namespace: Optional[str] = None, context: Optional[str] = None,
                 kubeconfig: Optional[str] = None) -> None:
        self.binary = binary
        self.namespace = namespace
        self.context = context
        self.kubeconfig = kubeconfig

    def argv(self, *args: str) -> List[str]:
        """The full kubectl command line for `args`."""
        command = [self.binary]
        for flag, value in (("--kubeconfig", self.kubeconfig), ("--context", self.context),
                            ("--namespace", self.namespace)):
            if value:
                command += [flag, value]
        return command + list(args)

    def run(self, *args: str, stdin: Optional[str] = None) -> str:
        """kubectl's stdout; KubectlError with its stderr when it fails."""
        done = subprocess.run(self.argv(*args), input=stdin, capture_output=True, text=True)
        if done.returncode != 0:
            raise KubectlError(args, done.returncode, done.stderr)
        return done.stdout

    def get(self, kind: str, name: str) -> Dict[str, Any]:
        """One object as JSON."""
        return json.loads(self.run("get", kind, name, "-o", "json"))

    def create(self, manifest: Dict[str, Any]) -> Dict[str, Any]:
        """Create `manifest`; the created object (with its generated name)."""
        return json.loads(self.run("create", "-f", "-", "-o", "json", stdin=json.dumps(manifest)))

    def merge_patch(self, kind: str, name: str, patch: Dict[str, Any]) -> Dict[str, Any]:
        """Apply a JSON merge patch; the patched object."""
        return json.loads(self.run("patch", kind, name, "--type", "merge", "-p", json.dumps(patch), "-o", "json"))


# -- what the commands build (pure, tested without a cluster) ---------------------------------------


def run_manifest(workflow: str, inputs: Dict[str, Any], version: Optional[str] = None,
                 name: Optional[str] = None) -> Dict[str, Any]:
    """The Play `run` creates: the same shape a flow's child Play has, without a parent."""
    return child_play_manifest(workflow, inputs, name=name, version=version)


def rerun_manifest(original: Dict[str, Any], latest: bool = False, name: Optional[str] = None) -> Dict[str, Any]:
    """A new Play with the spec of `original` (not its cancel), pinned to the version it ran unless
    `latest` (then its Workflow's current version), and annotated with the Play it repeats."""
    metadata = original.get("metadata") or {}
    spec = {key: value for key, value in (original.get("spec") or {}).items() if key not in NOT_RERUN}
    if not spec.get("workflow"):
        raise ValueError(f"play {metadata.get('name')!r} has no spec.workflow to run again")
    ran = (original.get("status") or {}).get("workflowVersion")
    if latest:
        spec.pop("version", None)
    elif ran:
        spec["version"] = ran
    new_metadata: Dict[str, Any] = {"name": name} if name else {"generateName": f"{spec['workflow']}-"}
    new_metadata["annotations"] = {RERUN_OF_ANNOTATION: metadata.get("name", "")}
    return {"apiVersion": GROUP_VERSION, "kind": "Play", "metadata": new_metadata, "spec": spec}


def span_log_lines(play: Dict[str, Any]) -> List[str]:
    """The captured log lines of every span, in tree order, each prefixed with its span's path."""
    spans = (play.get("status") or {}).get("spans") or []
    names: Dict[str, str] = {}
    lines = []
    for span in spans:
        path = span.get("name") or span.get("id", "?")
        parent = names.get(span.get("parentId") or "")
        names[span.get("id", "")] = f"{parent}/{path}" if parent else path
        for line in span.get("logs") or []:
            lines.append(f"[{names[span.get('id', '')]}] {line}")
    return lines


# -- the commands ---------------------------------------------------------------------------------


def _input_spec(kubectl: Kubectl, workflow: str, version: Optional[str]) -> Dict[str, Dict[str, Any]]:
    """The declared inputs of the version a Play would run (so `--input name=123` stays a string for a
    string input). A missing Workflow is an error; no permission to read it only loses the types."""
    try:
        if version is None:
            version = (kubectl.get("workflow", workflow).get("spec") or {}).get("currentVersion")
        if not version:
            return {}
        declared = (kubectl.get("workflowversion", version).get("status") or {}).get("inputs") or []
    except KubectlError as exc:
        if exc.forbidden:
            return {}
        raise
    return contract.spec_of([entry for entry in declared if isinstance(entry, dict) and "name" in entry])


def _follow(kubectl: Kubectl, name: str, args: argparse.Namespace) -> int:
    return watch_play(kubectl.argv("get", "play", name, "-o", "json"), renderer_for(args), args.interval, args.timeout)


def cmd_run(kubectl: Kubectl, args: argparse.Namespace) -> int:
    """Create a Play of WORKFLOW and print its name (and follow it with --wait)."""
    spec = _input_spec(kubectl, args.workflow, args.version)
    try:
        inputs = parse_inputs(args.input, spec, args.inputs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    created = kubectl.create(run_manifest(args.workflow, inputs, args.version, args.name))
    name = created["metadata"]["name"]
    print(f"play/{name} created")
    return _follow(kubectl, name, args) if args.wait else 0


def cmd_rerun(kubectl: Kubectl, args: argparse.Namespace) -> int:
    """Create a new Play that runs PLAY again with its inputs."""
    try:
        manifest = rerun_manifest(kubectl.get("play", args.play), args.latest, args.name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    name = kubectl.create(manifest)["metadata"]["name"]
    print(f"play/{name} created (a rerun of {args.play})")
    return _follow(kubectl, name, args) if args.wait else 0


def cmd_cancel(kubectl: Kubectl, args: argparse.Namespace) -> int:
    """Set spec.cancel on PLAY: the operator stops its Pod and ends it Cancelled (README, "Cancel")."""
    phase = (kubectl.get("play", args.play).get("status") or {}).get("phase")
    if phase in TERMINAL_PHASES:
        print(f"play/{args.play} already ended ({phase}): nothing to cancel", file=sys.stderr)
        return 0
    kubectl.merge_patch("play", args.play, {"spec": {"cancel": True}})
    print(f"play/{args.play} cancel requested")
    return 0


def cmd_tree(kubectl: Kubectl, args: argparse.Namespace) -> int:
    """Draw PLAY's span tree (and redraw it until the Play ends with --watch)."""
    if args.watch:
        return _follow(kubectl, args.play, args)
    plays = load_play_text(kubectl.run("get", "play", args.play, "-o", "json"))
    sys.stdout.write(renderer_for(args).render(plays[0]))
    return 0


def cmd_logs(kubectl: Kubectl, args: argparse.Namespace) -> int:
    """PLAY's span logs from its status (kept after the Pod is gone), or with --pod its Pod's own log."""
    play = kubectl.get("play", args.play)
    if not args.pod:
        for line in span_log_lines(play):
            print(line)
        return 0
    pod = (play.get("status") or {}).get("podName")
    if not pod:
        raise UsageError(f"play {args.play} has no Pod (yet): status.podName is empty")
    command = kubectl.argv("logs", pod, *(["-f"] if args.follow else []))
    return subprocess.call(command)  # streamed as it comes


class UsageError(Exception):
    """A command line that cannot be carried out; exit 2."""


# -- the command line ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """`kubectl herologic` and its commands."""
    connection = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: given before or after the command, a flag is kept (a subparser default would overwrite it)
    connection.add_argument("-n", "--namespace", default=argparse.SUPPRESS, help="the namespace (default: the context's)")
    connection.add_argument("--context", default=argparse.SUPPRESS, help="the kubeconfig context to use")
    connection.add_argument("--kubeconfig", default=argparse.SUPPRESS, help="the kubeconfig file (default: kubectl's)")

    def follow_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--interval", type=float, default=1.0, help="seconds between redraws (default 1)")
        command.add_argument("--timeout", type=float, default=0,
                             help="stop following after this many seconds (default 0: until the Play ends)")
        view_options(command)

    parser = argparse.ArgumentParser(prog=PROG, parents=[connection],
                                     description="Run, follow, rerun and cancel hero-logic Plays with your kubeconfig.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", parents=[connection], help="create a Play of a Workflow")
    run.add_argument("workflow")
    run.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE",
                     help="an input; VALUE is JSON if it parses (except for string inputs), else text")
    run.add_argument("--inputs", metavar="JSON", help="all inputs as one JSON object (--input entries override)")
    run.add_argument("--version", help="run this WorkflowVersion instead of the Workflow's current one")
    run.add_argument("--name", help="the Play's name (default: generated, WORKFLOW-xxxxx)")
    run.add_argument("--wait", "-w", action="store_true", help="follow the tree until the Play ends; exit 0 if it succeeded")
    follow_options(run)
    run.set_defaults(handler=cmd_run)

    tree = commands.add_parser("tree", parents=[connection], help="draw a Play's span tree")
    tree.add_argument("play")
    tree.add_argument("--watch", "-w", action="store_true", help="redraw until the Play ends; exit 0 if it succeeded")
    follow_options(tree)
    tree.set_defaults(handler=cmd_tree)

    logs = commands.add_parser("logs", parents=[connection], help="a Play's span logs (or its Pod's log)")
    logs.add_argument("play")
    logs.add_argument("--pod", action="store_true", help="the Pod's raw log (the event stream) instead")
    logs.add_argument("--follow", "-f", action="store_true", help="with --pod: keep streaming")
    logs.set_defaults(handler=cmd_logs)

    rerun = commands.add_parser("rerun", parents=[connection], help="run a Play again with the same inputs")
    rerun.add_argument("play")
    rerun.add_argument("--latest", action="store_true",
                       help="run the Workflow's current version (default: the version the Play ran)")
    rerun.add_argument("--name", help="the new Play's name (default: generated)")
    rerun.add_argument("--wait", "-w", action="store_true", help="follow the new Play until it ends")
    follow_options(rerun)
    rerun.set_defaults(handler=cmd_rerun)

    cancel = commands.add_parser("cancel", parents=[connection], help="cancel a running Play")
    cancel.add_argument("play")
    cancel.set_defaults(handler=cmd_cancel)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of `kubectl-herologic`: 0 done, 1 kubectl failed or the followed Play did not
    succeed, 2 a bad command line."""
    args = build_parser().parse_args(argv)
    if args.command == "logs" and args.follow and not args.pod:
        print(f"{PROG} logs: --follow needs --pod (span logs come from the Play's status)", file=sys.stderr)
        return 2
    binary = os.environ.get("HEROLOGIC_KUBECTL") or shutil.which("kubectl")
    if not binary:
        print(f"{PROG}: kubectl is not on PATH (or set HEROLOGIC_KUBECTL)", file=sys.stderr)
        return 2
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... | head` ends quietly
    kubectl = Kubectl(binary, getattr(args, "namespace", None), getattr(args, "context", None),
                      getattr(args, "kubeconfig", None))
    try:
        return args.handler(kubectl, args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: {exc}", file=sys.stderr)
        return 2
    except KubectlError as exc:
        print(f"{PROG} {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
