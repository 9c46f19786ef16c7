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

  /** OTLP export of every Play's spans to a tracing backend (README "Tracing backends"); off while no endpoint is set. */
  Otlp otlp();

  /**
   * A URL template for "open in tracing" on a Play's page in the UI, with {@code {traceId}} where the
   * Play's trace id goes (Jaeger: {@code https://jaeger.example/trace/{traceId}}); unset shows no link.
   */
  Optional<String> traceUrlTemplate();

  /** Where and how the operator sends spans over OTLP. */
  interface Otlp {
    /**
     * The collector's base URL: {@code http://collector:4318} for http/protobuf ({@code /v1/traces}
     * is added unless the path already ends with it), {@code http://collector:4317} for grpc;
     * {@code https://} for TLS.
     */
    Optional<String> endpoint();

    /** {@code http/protobuf} or {@code grpc}. */
    @WithDefault("http/protobuf")
    String protocol();

    /**
     * Headers sent with every export, as OTEL_EXPORTER_OTLP_HEADERS writes them
     * ({@code key=value,key2=value2}, values URL-encoded); the chart takes them from a Secret.
     */
    Optional<String> headers();

    /** PEM file of the certificate authorities to trust for an https endpoint (default: the JVM's). */
    Optional<String> certificate();

    /** PEM files of a client certificate and its key, for a collector that asks for mutual TLS. */
    Optional<String> clientCertificate();

    Optional<String> clientKey();

    /** At most this many spans wait to be sent; more are dropped and counted (herologic_otlp_spans_dropped). */
    @WithDefault("4096")
    int maxQueuedSpans();

    /** At most this many bytes of spans (as the assembler accounts them) wait to be sent; more are dropped. */
    @WithDefault("33554432")
    long maxQueuedBytes();

    /** Spans per export request. */
    @WithDefault("512")
    int maxBatchSpans();

    /** How long a finished span may wait for its batch. */
    @WithDefault("1000")
    long batchDelayMillis();

    /** How long a batch is tried again (with backoff) while the collector does not take it; then it is dropped and counted as failed. */
    @WithDefault("300")
    long retrySeconds();
  }
}
