package io.herologic.operator.seed;

import java.util.List;

/**
 * One flow shipped inside the operator (from flows/builtin/). {@code flowName} is the name its
 * source must declare in {@code @flow(name=...)}; Kubernetes names use dashes where it has underscores.
 */
public record BuiltinFlow(String flowName, String description, boolean callsModel, boolean discoversServices) {
  /** The table of built-in flows; the seeder refuses to start if a source declares another name. */
  public static final List<BuiltinFlow> ALL = List.of(
      new BuiltinFlow("hello", "Greets someone and shows steps, logs and tags: a first Play to try.", false, false),
      new BuiltinFlow("service_agent_v3",
          "LLM agent: discovers the services in its namespace, writes a script that calls them, runs it and retries with the error as feedback.",
          true, true));

  public String fileName() {
    return flowName + ".py";
  }

  /** The Workflow's name: the flow name as a Kubernetes name. */
  public String workflowName() {
    return flowName.replace('_', '-').toLowerCase(java.util.Locale.ROOT);
  }

  /** WorkflowVersion names carry the digest, so each distinct source is its own immutable version. */
  public String versionName(String digest) {
    return workflowName() + "-" + digest.substring("sha256:".length(), "sha256:".length() + 10);
  }

  public String configMapName(String digest) {
    return versionName(digest) + "-src";
  }
}
