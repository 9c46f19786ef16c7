"""The kubectl plugin's command line and the manifests it creates, without a cluster (its kube calls are
kubectl's own; KubectlPluginIT drives the installed plugin against devcluster), and the zip application
`make kubectl-plugin` builds."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sdk_support import FLOWS_DIR  # noqa: E402

from herologic.kubectl_plugin import (  # noqa: E402
    Kubectl, build_parser, main, rerun_manifest, run_manifest, span_log_lines)

REPO = os.path.dirname(FLOWS_DIR)


def test_connection_flags_work_before_and_after_the_command():
    before = build_parser().parse_args(["-n", "team-a", "--context", "dev", "tree", "p1"])
    after = build_parser().parse_args(["tree", "p1", "--namespace", "team-b", "--kubeconfig", "/k"])
    assert (before.namespace, before.context, before.play) == ("team-a", "dev", "p1")
    assert (after.namespace, after.kubeconfig) == ("team-b", "/k") and not hasattr(after, "context")
    kubectl = Kubectl("/usr/bin/kubectl", namespace="team-a", context="dev", kubeconfig="/k")
    assert kubectl.argv("get", "play", "p1") == ["/usr/bin/kubectl", "--kubeconfig", "/k", "--context", "dev",
                                                 "--namespace", "team-a", "get", "play", "p1"]
    assert Kubectl("kubectl").argv("get", "plays") == ["kubectl", "get", "plays"]


def test_run_parses_inputs_and_builds_the_play():
    args = build_parser().parse_args(["run", "hello", "--input", "name=Ada", "-i", "steps=2", "--version", "hello-v2",
                                      "--wait"])
    assert (args.workflow, args.input, args.version, args.wait, args.timeout) == (
        "hello", ["name=Ada", "steps=2"], "hello-v2", True, 0)
    assert run_manifest("hello", {"name": "Ada", "steps": 2}, "hello-v2") == {
        "apiVersion": "herologic.io/v1alpha1", "kind": "Play", "metadata": {"generateName": "hello-"},
        "spec": {"workflow": "hello", "version": "hello-v2", "inputs": {"name": "Ada", "steps": 2}}}
    assert run_manifest("hello", {}, name="fixed")["metadata"] == {"name": "fixed"}


def test_rerun_repeats_the_spec_pinned_to_the_version_it_ran():
    original = {"metadata": {"name": "hello-abcde", "uid": "u1", "resourceVersion": "7"},
                "spec": {"workflow": "hello", "inputs": {"name": "x"}, "timeoutSeconds": 60, "cancel": True},
                "status": {"phase": "Cancelled", "workflowVersion": "hello-v1", "spans": []}}
    again = rerun_manifest(original)
    assert again == {"apiVersion": "herologic.io/v1alpha1", "kind": "Play",
                     "metadata": {"generateName": "hello-", "annotations": {"herologic.io/rerun-of": "hello-abcde"}},
                     "spec": {"workflow": "hello", "inputs": {"name": "x"}, "timeoutSeconds": 60, "version": "hello-v1"}}
    pinned = dict(original, spec=dict(original["spec"], version="hello-v0"))
    assert "version" not in rerun_manifest(pinned, latest=True)["spec"]
    assert rerun_manifest(pinned, name="again")["metadata"]["name"] == "again"
    with pytest.raises(ValueError, match="play 'broken' has no spec.workflow"):
        rerun_manifest({"metadata": {"name": "broken"}, "spec": {}})


def test_span_logs_are_prefixed_with_their_path():
    play = {"status": {"spans": [
        {"id": "a", "parentId": None, "name": "hello", "logs": ["starting"]},
        {"id": "b", "parentId": "a", "name": "count", "logs": []},
        {"id": "c", "parentId": "b", "name": "step 1", "logs": ["step 1 of 1 done"]},
        {"id": "d", "parentId": "a", "name": "greet", "logs": ["Hello, x!", "second line"]}]}}
    assert span_log_lines(play) == ["[hello] starting", "[hello/count/step 1] step 1 of 1 done",
                                    "[hello/greet] Hello, x!", "[hello/greet] second line"]
    assert span_log_lines({"status": {}}) == []


def test_usage_errors_exit_2_with_the_reason(capsys, monkeypatch):
    assert main(["logs", "p1", "-f"]) == 2
    assert "--follow needs --pod" in capsys.readouterr().err
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("HEROLOGIC_KUBECTL", raising=False)
    assert main(["cancel", "p1"]) == 2
    assert "kubectl is not on PATH" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["run"])  # no workflow
    assert exited.value.code == 2


def test_make_installs_one_executable_that_kubectl_finds(tmp_path):
    bindir = tmp_path / "bin"
    subprocess.run(["make", "-s", "kubectl-plugin", f"PLUGIN_DIR={bindir}", f"PLUGIN_BUILD={tmp_path / 'build'}"],
                   cwd=REPO, check=True,
                   capture_output=True, text=True, timeout=120)
    plugin = bindir / "kubectl-herologic"
    assert sorted(os.listdir(bindir)) == ["kubectl-herologic"] and os.access(plugin, os.X_OK)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": str(tmp_path)}  # no PYTHONPATH: the file carries the SDK
    helped = subprocess.run([str(plugin), "--help"], capture_output=True, text=True, env=env, timeout=60)
    assert helped.returncode == 0 and "{run,tree,logs,rerun,cancel}" in helped.stdout
    bad = subprocess.run([str(plugin), "logs", "p1", "--follow"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "--follow needs --pod" in bad.stderr
    # kubectl is a prerequisite of the project (README): it must see the plugin on PATH
    listed = subprocess.run(["kubectl", "plugin", "list"], capture_output=True, text=True, env=env, timeout=60)
    assert str(plugin) in listed.stdout, listed.stdout + listed.stderr
