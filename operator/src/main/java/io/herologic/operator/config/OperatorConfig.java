package io.herologic.operator.config;

import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithConverter;
import io.smallrye.config.WithDefault;
import java.util.List;
import java.util.Optional;

/** Settings of the operator (application.properties, or HEROLOGIC_* environment variables). */
@ConfigMapping(prefix = "herologic")
public interface OperatorConfig {
  /** Image that runs flows when neither the Play nor its Workflow names one. The SDK is mounted into it. */
  @WithDefault("python:3.12-slim")
  String flowImage();

  /**
   * CPU and memory of a flow Pod whose Play and Workflow set no {@code spec.resources}: a
   * ResourceRequirements in JSON (HEROLOGIC_FLOW_RESOURCES; the chart's {@code flowResources}).
   */
  @WithDefault("{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},\"limits\":{\"memory\":\"512Mi\"}}")
  @WithConverter(ResourceRequirementsConverter.class)
  ResourceRequirements flowResources();

  /** Deadline of a Play whose Play and Workflow name none. */
  @WithDefault("3600")
  long defaultTimeoutSeconds();

  /** Delete finished Plays after this many seconds unless the Play says otherwise; unset keeps them. */
  Optional<Long> playTtlSecondsAfterFinished();

  /** The uid and gid flow Pods run as (the restricted Pod Security profile forbids root). */
  @WithDefault("65532")
  long flowUser();

  /** Seed the built-in flows on start. */
  @WithDefault("true")
  boolean seedBuiltinFlows();

  /**
   * Namespaces to seed when the operator watches all namespaces. When it watches a list, it seeds
   * that list; when it watches its own namespace, it seeds that.
   */
  Optional<List<String>> seedNamespaces();

  /** Secret (in each Play's namespace) with keys baseUrl, model and apiKey: the namespace's LLM defaults. */
  @WithDefault("herologic-llm")
  String llmSecretName();

  /**
   * The operator's own ServiceAccount, as namespace/name (the chart sets it). Flows never run under
   * it, whatever labels it carries: it can write Pods and ConfigMaps in every watched namespace.
   */
  Optional<String> operatorServiceAccount();

  /** How deep child Plays (started by a flow with play_run_async) may nest below the first Play. */
  @WithDefault("4")
  int childPlayMaxDepth();

  /** How many child Plays one Play may start. */
  @WithDefault("50")
  int childPlaysPerPlay();

  /** The most Plays running at once in all watched namespaces; more wait, Pending with reason Queued. Unset: no limit. */
  Optional<Integer> maxRunningPlays();

  /** The most Plays running at once in one namespace; more wait, Pending with reason Queued. Unset: no limit. */
  Optional<Integer> maxRunningPlaysPerNamespace();
}
