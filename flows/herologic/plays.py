"""Starting child Plays from a flow."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from .core import StepContext, current_traceparent
from .kube import KubeApiError, KubeClient, KubeError, KubeUnavailable

GROUP_VERSION = "herologic.io/v1alpha1"
PARENT_LABEL = "herologic.io/parent-play"
#: The parent's shard (README "Sharding"), copied so that the child runs in the same operator shard.
SHARD_LABEL = "herologic.io/shard"
#: W3C traceparent of the span that started the child: the operator makes it the parent of the
#: child's root span and uses its trace id as the child's, so a child Play continues its parent's trace.
TRACEPARENT_ANNOTATION = "herologic.io/traceparent"


class PlayError(KubeError):
    """The API server refused to create a child Play (forbidden, invalid, over a limit):
    `status` (403, 422), `reason` and `api_message` are the server's."""

    def __init__(self, workflow: str, namespace: str, refusal: KubeApiError) -> None:
        reason = f" {refusal.reason}" if refusal.reason else ""
        super().__init__(f"the API server refused the child Play of workflow {workflow!r} in namespace "
                         f"{namespace} (HTTP {refusal.status}{reason}): {refusal.api_message}")
        self.status = refusal.status
        self.reason = refusal.reason
        self.api_message = refusal.api_message


def child_play_manifest(workflow: str, inputs: Dict[str, Any], name: Optional[str] = None,
                        version: Optional[str] = None, parent: Optional[str] = None,
                        parent_uid: Optional[str] = None, traceparent: Optional[str] = None,
                        shard: Optional[str] = None) -> Dict[str, Any]:
    """The Play object `play_run_async` creates: labelled with its parent Play, owned by
    it when the parent's uid is known, so that deleting the parent deletes the child, and
    annotated with the `traceparent` of the span that started it; labelled with the parent's
    shard when it has one, so that the same operator shard runs it."""
    metadata: Dict[str, Any] = {"name": name} if name else {"generateName": f"{workflow}-"}
    if traceparent:
        metadata["annotations"] = {TRACEPARENT_ANNOTATION: traceparent}
    labels: Dict[str, str] = {}
    if shard:
        labels[SHARD_LABEL] = shard
    if parent:
        labels[PARENT_LABEL] = parent
    if labels:
        metadata["labels"] = labels
    if parent and parent_uid:
        # Not the controller (the operator controls Plays) and not blocking the
        # parent's deletion: the garbage collector removes the child afterwards.
        metadata["ownerReferences"] = [{"apiVersion": GROUP_VERSION, "kind": "Play", "name": parent,
                                        "uid": parent_uid, "controller": False,
                                        "blockOwnerDeletion": False}]
    spec: Dict[str, Any] = {"workflow": workflow}
    if version is not None:
        spec["version"] = version
    spec["inputs"] = inputs
    return {"apiVersion": GROUP_VERSION, "kind": "Play", "metadata": metadata, "spec": spec}


def play_run_async(workflow: str, inputs: Optional[Dict[str, Any]] = None, name: Optional[str] = None,
                   version: Optional[str] = None, *, client: Optional[KubeClient] = None) -> str:
    """Create a child Play of `workflow` (optionally pinned to `version`) and return its name
    without waiting for it.

    The Play is created in this Pod's namespace through the Kubernetes API (the Workflow
    needs a service account allowed to create plays), labelled with the parent Play
    (env HEROLOGIC_PLAY_NAME) and owned by it (env HEROLOGIC_PLAY_UID; deleted with it), and
    linked from a span of kind "child-play" tagged `herologic.child_play` =
    "<namespace>/<name>". Inside a run the child carries the annotation
    `herologic.io/traceparent` = `00-<trace id>-<child-play span id>-01`, so that its trace
    continues this one under that span. `name` fixes the child's name instead of a generated one.
    Raises KubeUnavailable outside a cluster, and PlayError with the API server's message
    when it refuses the Play (403: not allowed, or a limit on child Plays; 422: invalid).
    """
    if inputs is not None and not isinstance(inputs, dict):
        raise TypeError("play_run_async inputs must be a dict")
    if client is None:
        client = KubeClient.in_cluster()
    namespace = os.environ.get("HEROLOGIC_PLAY_NAMESPACE") or client.namespace
    if not namespace:
        raise KubeUnavailable("play_run_async: cannot tell the namespace (no HEROLOGIC_PLAY_NAMESPACE, "
                              "no service account namespace file)")
    tags = {"herologic.workflow": workflow}
    if version is not None:
        tags["herologic.version"] = version
    with StepContext(f"play {workflow}", "child-play", tags) as span:
        # built inside the span: the child's trace hangs under this child-play span
        manifest = child_play_manifest(workflow, inputs or {}, name, version, os.environ.get("HEROLOGIC_PLAY_NAME"),
                                       os.environ.get("HEROLOGIC_PLAY_UID"), current_traceparent(),
                                       os.environ.get("HEROLOGIC_PLAY_SHARD"))
        try:
            created = client.post(f"/apis/{GROUP_VERSION}/namespaces/{namespace}/plays", manifest)
        except KubeApiError as exc:
            if exc.status not in (403, 422):
                raise
            raise PlayError(workflow, namespace, exc) from None
        child = (created.get("metadata") or {}).get("name") or name
        if not child:
            raise RuntimeError(f"the API server created a Play without a name: {created!r:.300}")
        span.tag("herologic.child_play", f"{namespace}/{child}")
        return child
