package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.LlmSettings;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Span;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator exports every span of a Play over OTLP to a real Jaeger, and the spans read back
 * through Jaeger's query API are the Play's: once each, with the runner's ids and parents, the
 * Play's trace id, attributes, events and resource; under a CI job's span when the Play carries a
 * traceparent; not doubled by an operator killed mid-Play; delivered after Jaeger was down for 30 s,
 * without slowing the Play.
 */
@DevClusterTest
class OtlpExportIT {
  private static final String FLOW = """
      import time
      from herologic import flow, step, llm_span

      @flow(name="traced", inputs={"pause": {"type": "integer", "default": 0}})
      def traced(pause=0):
          with step("fetch", kind="rpc", **{"rpc.system": "jsonrpc", "rpc.service": "calendar", "rpc.method": "list"}) as s:
              s.log("asked the calendar")
          with llm_span("m1", provider="fake") as llm:
              llm.record_usage(12, 34, response_model="m1")
          try:
              with step("broken"):
                  raise ValueError("bad answer")
          except ValueError:
              pass
          time.sleep(pause)
          with step("last"):
              pass
          return {"ok": True}
      """;
  private static final int SPANS = 5; // the flow's root, fetch, chat m1, broken, last
  private static final String TRACE_URL = "https://jaeger.example/trace/{traceId}";
  private static JaegerProcess jaeger;
  private static OperatorProcess operator;
  private static Map<String, String> exportEnv;

  private KubernetesClient client;
  private String ns;

  @BeforeEach
  void setUp(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    this.client = client;
    this.ns = namespace.name();
    synchronized (OtlpExportIT.class) {
      if (jaeger == null) {
        jaeger = JaegerProcess.start(cluster.repoRoot());
        exportEnv = Map.of("HEROLOGIC_OTLP_ENDPOINT", jaeger.otlpHttpEndpoint(), "HEROLOGIC_OTLP_BATCH_DELAY_MILLIS", "200",
            "HEROLOGIC_TRACE_URL_TEMPLATE", TRACE_URL);
        operator = OperatorProcess.running(cluster);
        operator.restart(false, exportEnv);
      }
    }
    Flows.install(client, ns, "traced", FLOW);
  }

  @AfterAll
  static void tearDown() {
    if (jaeger != null) {
      jaeger.close();
      operator.restart(false, Map.of()); // the other ITs run without export
    }
  }

  @Test
  void everySpanArrivesOnceWithItsParentsAttributesEventsAndResource() {
    Play done = Flows.awaitFinal(client, ns, Flows.play(client, ns, "traced-1", "traced", null).getMetadata().getName());
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    String traceId = done.getStatus().getTraceId();
    List<JsonNode> spans = awaitSpans(traceId, SPANS);
    assertOncePerStatusSpan(done, spans);
    Map<String, JsonNode> byName = spans.stream().collect(Collectors.toMap(s -> s.path("operationName").asText(), Function.identity()));

    JsonNode fetch = byName.get("fetch");
    assertEquals("list", tag(fetch, "rpc.method"));
    assertEquals("jsonrpc", tag(fetch, "rpc.system"));
    assertEquals("client", tag(fetch, "span.kind"));
    assertTrue(logFields(fetch).stream().anyMatch(f -> "asked the calendar".equals(f.get("message"))), fetch.toString());

    JsonNode llm = byName.get("chat m1");
    assertEquals("12", tag(llm, "gen_ai.usage.input_tokens"));
    assertEquals("34", tag(llm, "gen_ai.usage.output_tokens"));
    assertEquals("m1", tag(llm, "gen_ai.request.model"));
    assertEquals("chat", tag(llm, "gen_ai.operation.name"));

    JsonNode broken = byName.get("broken");
    assertEquals("ERROR", tag(broken, "otel.status_code"));
    Map<String, String> exception = logFields(broken).stream().filter(f -> "exception".equals(f.get("event"))).findFirst()
        .orElseThrow(() -> new AssertionError("no exception event: " + broken));
    assertEquals("ValueError", exception.get("exception.type"));
    assertEquals("bad answer", exception.get("exception.message"));
    assertTrue(exception.get("exception.stacktrace").contains("Traceback"), exception.toString());

    JsonNode trace = jaeger.trace(traceId);
    JsonNode process = trace.path("processes").path(fetch.path("processID").asText());
    assertEquals("traced", process.path("serviceName").asText());
    Map<String, String> resource = tags(process);
    assertEquals(ns, resource.get("k8s.namespace.name"));
    assertEquals("traced-1", resource.get("herologic.play"));
    assertEquals("traced", resource.get("herologic.workflow"));
    assertEquals(done.getStatus().getWorkflowVersion(), resource.get("herologic.version"));
    assertEquals(done.getStatus().getDigest(), resource.get("herologic.digest"));
    assertEquals(done.getStatus().getPodName(), resource.get("k8s.pod.name"));

    // What was exported is counted (at least this Play's spans: other tests' Plays add to it).
    double exported = operator.metric("herologic_otlp_spans_exported_total", UiViewers.everywhere(client));
    assertTrue(exported >= SPANS, "herologic_otlp_spans_exported_total " + exported);
  }

  @Test
  void aTraceparentAnnotationPutsTheRootUnderTheCallersSpan() {
    String ciTrace = "0af7651916cd43dd8448eb211c80319c";
    String ciSpan = "b7ad6b7169203331";
    Play done = Flows.awaitFinal(client, ns, annotatedPlay("from-ci", "00-" + ciTrace + "-" + ciSpan + "-01"));
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    assertEquals(ciTrace, done.getStatus().getTraceId());
    List<JsonNode> spans = awaitSpans(ciTrace, SPANS);
    assertOncePerStatusSpan(done, spans);
    String rootId = done.getStatus().getSpans().stream().filter(s -> s.getParentId() == null).findFirst().orElseThrow().getId();
    JsonNode root = spans.stream().filter(s -> s.path("spanID").asText().equals(rootId)).findFirst().orElseThrow();
    assertEquals(Optional.of(ciSpan), parent(root), root.toString());

    Play fresh = Flows.awaitFinal(client, ns, annotatedPlay("bad-traceparent", "00-" + ciTrace + "-zzzzzzzzzzzzzzzz-01"));
    assertEquals(PlayPhase.Succeeded, fresh.getStatus().getPhase(), fresh.getStatus().getMessage());
    assertNotEquals(ciTrace, fresh.getStatus().getTraceId(), "an invalid traceparent gives the Play a fresh trace");
    assertTrue(fresh.getStatus().getTraceId().matches("[0-9a-f]{32}"));
    Event warning = Awaitility.await().atMost(Duration.ofSeconds(30)).until(
        () -> client.v1().events().inNamespace(ns).list().getItems().stream()
            .filter(e -> "bad-traceparent".equals(e.getInvolvedObject().getName()) && "InvalidTraceparent".equals(e.getReason()))
            .findFirst().orElse(null), e -> e != null);
    assertEquals("Warning", warning.getType());
    assertTrue(warning.getMessage().contains("herologic.io/traceparent") && warning.getMessage().contains("parent span id"), warning.getMessage());
    awaitSpans(fresh.getStatus().getTraceId(), SPANS);
  }

  @Test
  void anOperatorKilledMidPlayExportsNoSpanTwice() throws InterruptedException {
    Flows.play(client, ns, "through-kill", "traced", Map.of("pause", 25));
    // Three spans ended and exported, and the mark of how far export got written, while the flow sleeps.
    Play running = Flows.awaitPlay(client, ns, "through-kill", Duration.ofSeconds(90), p -> p.getStatus().getTraceId() != null
        && jaeger.spans(p.getStatus().getTraceId()).size() == 3
        && p.getMetadata().getAnnotations() != null && p.getMetadata().getAnnotations().containsKey("herologic.io/otlp-exported-lines"));
    Thread.sleep(3000); // longer than the mark's write interval: the mark covers all three
    operator.restart(true, exportEnv); // SIGKILL: no shutdown hook runs
    Play done = Flows.awaitFinal(client, ns, "through-kill");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    List<JsonNode> spans = awaitSpans(running.getStatus().getTraceId(), SPANS);
    Thread.sleep(3000); // a span sent twice would arrive by now
    assertOncePerStatusSpan(done, jaeger.spans(running.getStatus().getTraceId()));
    assertEquals(SPANS, spans.size());
  }

  @Test
  void spansSentWhileJaegerWasDownArriveAfterItIsBackAndThePlayWasNotSlowed() throws InterruptedException {
    jaeger.stop();
    Instant down = Instant.now();
    Play done;
    try {
      Flows.play(client, ns, "while-down", "traced", null);
      done = Flows.awaitPlay(client, ns, "while-down", Duration.ofSeconds(60), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
      Duration ran = Duration.between(Instant.parse(done.getStatus().getStartTime()), Instant.parse(done.getStatus().getCompletionTime()));
      assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
      // The flow runs for about a second; its Pod ran no longer with the collector down (nothing waits for it).
      assertTrue(ran.compareTo(Duration.ofSeconds(15)) < 0, "the Play took " + ran + " with its collector down");
      // Down for at least 30 s, and until the Play ended: every span was finished while Jaeger was down.
      Duration left = Duration.ofSeconds(30).minus(Duration.between(down, Instant.now()));
      Thread.sleep(Math.max(0, left.toMillis()));
    } finally {
      jaeger.start();
    }
    List<JsonNode> spans = awaitSpans(done.getStatus().getTraceId(), SPANS);
    assertOncePerStatusSpan(done, spans);
  }

  @Test
  void theUiIsGivenTheTraceLinkTemplate() throws Exception {
    String token = UiViewers.token(client, ns, "trace-viewer");
    var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + operator.port() + "/api/v1/session")).header("Authorization", "Bearer " + token).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(TRACE_URL, new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).path("traceUrlTemplate").asText());
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  private String annotatedPlay(String name, String traceparent) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(ns);
    play.getMetadata().setAnnotations(Map.of("herologic.io/traceparent", traceparent));
    play.getSpec().setWorkflow("traced");
    return client.resource(play).create().getMetadata().getName();
  }

  /**
   * The agent's trace in Jaeger: every span once, the llm spans with their GenAI usage, and the
   * calendar's request carrying the traceparent of the rpc span that called it (the calendar logs it).
   */
  @Test
  void theAgentsTraceArrivesWhole(DevCluster cluster) throws Exception {
    String apiKey = "otlp-key-" + UUID.randomUUID().toString().substring(0, 8);
    try (AgentFakeLlm llm = AgentFakeLlm.start(cluster.repoRoot(), apiKey, Path.of("target", "otlp-agent-fake-llm.log"))) {
      Flows.install(client, ns, "service-agent-v3", Flows.builtinSource(cluster, "service_agent_v3"), spec -> {
        spec.setLlm(new LlmSettings());
        spec.setDiscoverServices(true);
      });
      client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("herologic-llm").endMetadata()
          .addToStringData("baseUrl", llm.baseUrl()).addToStringData("model", AgentE2E.MODEL).addToStringData("apiKey", apiKey)
          .build()).create();
      AgentCalendar.deploy(client, cluster.repoRoot(), ns, true);
      String title = AgentE2E.uniqueTitle();
      llm.script(List.of(AgentE2E.reply(AgentE2E.SELECT_CALENDAR, 1201, 17),
          AgentE2E.reply(AgentE2E.code(AgentE2E.goodScript(title)), 2403, 211), AgentE2E.reply(AgentE2E.VERIFY_DONE, 1800, 12)));
      Play done = Flows.awaitFinal(client, ns, Flows.play(client, ns, "agent", "service-agent-v3",
          Map.of("prompt", "Create a calendar event called \"" + title + "\" tomorrow at 10:00 UTC for one hour.")).getMetadata().getName());
      assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());

      List<JsonNode> spans = awaitSpans(done.getStatus().getTraceId(), done.getStatus().getSpans().size());
      assertOncePerStatusSpan(done, spans);
      List<JsonNode> llmSpans = spans.stream().filter(s -> tag(s, "gen_ai.usage.input_tokens") != null).toList();
      assertEquals(List.of("1201", "1800", "2403"), llmSpans.stream().map(s -> tag(s, "gen_ai.usage.input_tokens")).sorted().toList());
      JsonNode eventSet = spans.stream().filter(s -> "calendar.event.set".equals(s.path("operationName").asText())).findFirst()
          .orElseThrow(() -> new AssertionError("no calendar.event.set span in Jaeger"));
      assertEquals("event.set", tag(eventSet, "rpc.method"));
      assertEquals("client", tag(eventSet, "span.kind"));

      // The calendar was called under that span: W3C trace context crossed the process boundary.
      String expected = "traceparent 00-" + done.getStatus().getTraceId() + "-" + eventSet.path("spanID").asText() + "-01";
      Awaitility.await("the calendar logging " + expected).atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> client.pods().inNamespace(ns).withName("calendar").getLog().contains(expected));
    }
  }

  private static List<JsonNode> awaitSpans(String traceId, int count) {
    return Awaitility.await("Jaeger holding " + count + " spans of trace " + traceId).atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> jaeger.spans(traceId), s -> s.size() >= count);
  }

  /** Jaeger holds each span of the Play's status exactly once, in the Play's trace, with the same parent. */
  private static void assertOncePerStatusSpan(Play play, List<JsonNode> spans) {
    List<Span> expected = play.getStatus().getSpans();
    assertEquals(expected.size(), spans.size(), "spans in Jaeger: " + spans.stream().map(s -> s.path("operationName").asText()).toList());
    Map<String, JsonNode> byId = spans.stream().collect(Collectors.toMap(s -> s.path("spanID").asText(), Function.identity()));
    assertEquals(expected.size(), byId.size(), "a span id twice");
    for (Span s : expected) {
      JsonNode exported = byId.get(s.getId());
      assertNotNull(exported, "span " + s.getName() + " (" + s.getId() + ") not in Jaeger");
      assertEquals(play.getStatus().getTraceId(), exported.path("traceID").asText());
      assertEquals(s.getName(), exported.path("operationName").asText());
      if (s.getParentId() != null) {
        assertEquals(Optional.of(s.getParentId()), parent(exported), s.getName());
      }
    }
  }

  private static Optional<String> parent(JsonNode span) {
    for (JsonNode ref : span.path("references")) {
      if ("CHILD_OF".equals(ref.path("refType").asText())) {
        return Optional.of(ref.path("spanID").asText());
      }
    }
    return Optional.empty();
  }

  private static String tag(JsonNode span, String key) {
    return tags(span).get(key);
  }

  private static Map<String, String> tags(JsonNode holder) {
    Map<String, String> tags = new HashMap<>();
    holder.path("tags").forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText()));
    return tags;
  }

  private static List<Map<String, String>> logFields(JsonNode span) {
    List<Map<String, String>> logs = new java.util.ArrayList<>();
    span.path("logs").forEach(l -> {
      Map<String, String> fields = new HashMap<>();
      l.path("fields").forEach(f -> fields.put(f.path("key").asText(), f.path("value").asText()));
      logs.add(fields);
    });
    return logs;
  }
}
