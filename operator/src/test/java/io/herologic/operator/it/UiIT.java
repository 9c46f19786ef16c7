package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Span;
import io.herologic.model.WorkflowVersion;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The web UI and its JSON API, served by the real operator process: real Plays on the cluster,
 * looked at through Debian's chromium driven by Playwright (operator/src/test/ui/ui-check.mjs).
 * Screenshots and each scenario's report land in target/ui-screenshots/. The browser and the API
 * calls sign in with the token of a ServiceAccount that may read every namespace ({@link UiViewers});
 * who sees what is UiAuthIT's subject.
 */
@DevClusterTest
class UiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Strings that would run a script if a page ever parsed flow output as HTML. */
  static final List<String> EVIL = List.of(
      "<script>window.__xss = 'script'</script>",
      "<img src=x onerror=\"window.__xss = 'img'\">");

  private KubernetesClient client;
  private DevCluster cluster;
  private String ns;
  private String base;
  private UiBrowser browser;
  private String token;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    // Checked first, so a machine without chromium fails here rather than after a cluster run.
    this.browser = UiBrowser.prepare(cluster);
    this.base = "http://127.0.0.1:" + OperatorProcess.running(cluster).port();
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
    this.token = UiViewers.everywhere(client);
  }

  @Test
  void theListShowsPlaysNewestFirstAndItsFiltersNarrowIt() throws InterruptedException {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "hello-a", "hello", Map.of("steps", 1));
    Flows.awaitFinal(client, ns, "hello-a");
    Thread.sleep(1100); // creation timestamps have whole seconds
    Flows.play(client, ns, "hello-b", "hello", Map.of("steps", 1));
    Play newer = Flows.awaitFinal(client, ns, "hello-b");

    expectPass("list", Map.of("namespace", ns, "play", "hello-b", "older", "hello-a", "workflow", "hello",
        "version", "hello-v1", "phase", newer.getStatus().getPhase().name()));
  }

  @Test
  void thePlayPageShowsTheTreeASpansLogsAndTagsOnClickAndTheVersionsSource() {
    String source = Flows.builtinSource(cluster, "hello");
    Flows.install(client, ns, "hello", source);
    Flows.play(client, ns, "hi", "hello", Map.of("name", "Ada", "steps", 2));
    Play play = Flows.awaitFinal(client, ns, "hi");
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    Span step2 = play.getStatus().getSpans().stream().filter(s -> s.getName().equals("step 2")).findFirst().orElseThrow();

    Map<String, Object> params = new HashMap<>();
    params.put("namespace", ns);
    params.put("play", "hi");
    params.put("phase", "Succeeded");
    List<Span> spans = play.getStatus().getSpans();
    List<Integer> depths = SpanTrees.depths(spans);
    params.put("spans", java.util.stream.IntStream.range(0, spans.size()).mapToObj(i -> Map.of("name", spans.get(i).getName(), "depth", depths.get(i))).toList());
    params.put("expand", "step 2");
    params.put("log", "step 2 of 2 done");
    params.put("expandTags", step2.getTags());
    params.put("expandStarted", Instant.parse(play.getStatus().getTraceStartTime()).plusMillis(step2.getStartOffsetMs()).toString());
    params.put("input", play.getSpec().getInputs());
    params.put("output", play.getStatus().getOutput());
    params.put("podName", play.getStatus().getPodName());
    params.put("workflow", "hello");
    params.put("version", "hello-v1");
    params.put("source", source);
    expectPass("detail", params);
  }

  @Test
  void aRunningPlayGrowsOnThePageWithoutReloadAndPollingStopsWhenItEnds() {
    // Each tick changes the status once and lasts two polls, so some polls find nothing new (304).
    Flows.install(client, ns, "ticker", """
        import time
        from herologic import flow, step

        @flow(name="ticker", inputs={"ticks": {"type": "integer", "default": 10}, "pause": {"type": "number", "default": 1.5}})
        def ticker(ticks=10, pause=1.5):
            for i in range(ticks):
                with step(f"tick {i}") as s:
                    time.sleep(pause)
                    s.log(f"tick {i} done")
            return {"ticks": ticks}
        """);
    Flows.play(client, ns, "ticking", "ticker", Map.of("ticks", 10, "pause", 1.5));
    Flows.awaitPlay(client, ns, "ticking", Duration.ofSeconds(60),
        p -> p.getStatus().getPhase() == PlayPhase.Running && p.getStatus().getSpans() != null && !p.getStatus().getSpans().isEmpty());

    UiBrowser.Verdict verdict = expectPass("live", Map.of("namespace", ns, "play", "ticking", "finalPhase", "Succeeded", "spanCount", 11));
    assertTrue(verdict.metrics().path("notModified").asInt() > 0, "unchanged polls are answered 304: " + verdict.metrics());
  }

  @Test
  void aPlayDeletedWhileItsPageIsOpenIsSaidToBeGoneAndNoLongerPolled() throws Exception {
    Flows.install(client, ns, "sleeper", """
        import time
        from herologic import flow, step

        @flow(name="sleeper")
        def sleeper():
            with step("nap"):
                time.sleep(120)
        """);
    Flows.play(client, ns, "doomed", "sleeper", null);
    Flows.awaitPlay(client, ns, "doomed", Duration.ofSeconds(60),
        p -> p.getStatus().getPhase() == PlayPhase.Running && p.getStatus().getSpans() != null && !p.getStatus().getSpans().isEmpty());
    // The scenario writes this file once the page shows the running Play; only then is it deleted.
    Path signal = Files.createTempFile("ui-delete-", ".signal");
    Files.delete(signal);
    CompletableFuture<Void> deletion = CompletableFuture.runAsync(() -> {
      Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> Files.exists(signal));
      client.resources(Play.class).inNamespace(ns).withName("doomed").delete();
    });

    expectPass("deleted", Map.of("namespace", ns, "play", "doomed", "missing", "never-was", "deleteSignal", signal.toString()));
    deletion.get(10, TimeUnit.SECONDS);
    Files.deleteIfExists(signal);
  }

  @Test
  void stringsAFlowProducedAreShownAsTextAndNeverRun() {
    String source = """
        from herologic import flow, step

        EVIL = %s

        @flow(name="xss")
        def xss():
            for evil in EVIL:
                tags = {"note": evil, "rpc.service": evil, "rpc.method": "m<b>", "herologic.child_play": "elsewhere/" + evil}
                with step(evil, kind="rpc", **tags) as s:
                    s.log(evil)
                try:
                    with step("raises " + evil):
                        raise ValueError(evil)
                except ValueError:
                    pass
            return {"html": EVIL, "first": EVIL[0]}
        """.formatted(pythonList(EVIL));
    Flows.install(client, ns, "xss", source);
    Flows.play(client, ns, "evil", "xss", null);
    Play play = Flows.awaitFinal(client, ns, "evil");
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals(EVIL.get(1), play.getStatus().getOutput().get("html").get(1).asText(), "the strings reach the status unchanged");

    Flows.install(client, ns, "xss-fail", """
        from herologic import flow, step

        EVIL = %s

        @flow(name="xss_fail")
        def xss_fail():
            with step("about to fail") as s:
                s.log(EVIL[1])
            raise RuntimeError(EVIL[1])
        """.formatted(pythonList(EVIL)));
    Flows.play(client, ns, "evil-fail", "xss-fail", null);
    assertEquals(PlayPhase.Failed, Flows.awaitFinal(client, ns, "evil-fail").getStatus().getPhase());

    expectPass("xss", Map.of("namespace", ns, "play", "evil", "failedPlay", "evil-fail", "evil", EVIL, "method", "m<b>",
        "version", "xss-v1", "source", source));
  }

  @Test
  void aThousandSpanPlayRendersInOnePass() {
    Flows.install(client, ns, "wide", """
        from herologic import flow, step

        @flow(name="wide")
        def wide():
            for g in range(100):
                with step(f"group {g:02d}", group=g):
                    for i in range(9):
                        with step(f"item {g:02d}.{i}", item=i) as s:
                            s.log(f"item {g}.{i}")
            return {"spans": 1001}
        """);
    Flows.play(client, ns, "thousand", "wide", null);
    Play play = Flows.awaitPlay(client, ns, "thousand", Duration.ofSeconds(180), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals(1001, play.getStatus().getSpans().size(), "nothing dropped: " + play.getStatus().getDropped());

    UiBrowser.Verdict verdict = expectPass("large", Map.of("namespace", ns, "play", "thousand", "spanCount", 1001, "lastSpan", "item 99.8"));
    System.out.println("UiIT: 1,001 spans: " + verdict.metrics());
  }

  @Test
  void aTwoThousandSpanPlayIsNavigableCollapsedSearchedFilteredAndLinkedTo() {
    // 1 root + 37 groups of 53 spans = 1,999, and a failed step in group 20: 2,000, the status's span budget.
    Flows.install(client, ns, "big", """
        from herologic import flow, step, llm_span

        @flow(name="big")
        def big():
            for g in range(37):
                with step(f"group {g:02d}", group=g):
                    for i in range(53):
                        if g == 36 and i == 52:
                            with llm_span("gpt-4o") as s:
                                s.record_usage(10, 2)
                            continue
                        tags = {"needle": "haystack-42"} if (g, i) == (30, 7) else {}
                        with step(f"item {g:02d}.{i:02d}", **tags) as s:
                            if (g, i) == (12, 3):
                                s.log("a special log line")
                    if g == 20:
                        try:
                            with step("broken parse"):
                                raise ValueError("bad input")
                        except ValueError:
                            pass
            return {"spans": 2000}
        """);
    Flows.play(client, ns, "two-thousand", "big", null);
    Play play = Flows.awaitPlay(client, ns, "two-thousand", Duration.ofSeconds(240), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals(2000, play.getStatus().getSpans().size(), "nothing dropped: " + play.getStatus().getDropped());

    Map<String, Object> params = new HashMap<>();
    params.put("namespace", ns);
    params.put("play", "two-thousand");
    params.put("spanCount", 2000);
    params.put("groups", 37);
    params.put("perGroup", 53);
    params.put("rootName", play.getStatus().getSpans().get(0).getName());
    params.put("firstGroup", "group 00");
    params.put("firstItem", "item 00.00");
    params.put("needle", "haystack-42");
    params.put("needleSpan", "item 30.07");
    params.put("logText", "a special log line");
    params.put("errorSpan", "broken parse");
    UiBrowser.Verdict verdict = expectPass("bigtree", params);
    System.out.println("UiIT: 2,000 spans, milliseconds from event to painted frame: " + verdict.metrics());
  }

  @Test
  void theListPagesAndSearchesOnTheServerAndTheWorkflowPageShowsRunStatistics() {
    Flows.install(client, ns, "sometimes", """
        from herologic import flow, llm_span

        @flow(name="sometimes", inputs={"who": {"type": "string"}, "fail": {"type": "boolean", "default": False}})
        def sometimes(who, fail=False):
            with llm_span("gpt-4o") as span:
                span.record_usage(1000, 100)
            if fail:
                raise RuntimeError("asked to fail for " + who)
            return {"who": who}
        """);
    List<String> people = List.of("Ada", "Bob", "Cleo", "Dan", "Eve", "Finn", "Grace", "Hal", "Ida", "Jon", "Kim", "Lou");
    for (int i = 0; i < people.size(); i++) {
      Flows.play(client, ns, String.format("p%02d", i), "sometimes", Map.of("who", people.get(i), "fail", i % 4 == 2));
    }
    for (int i = 0; i < people.size(); i++) {
      Flows.awaitFinal(client, ns, String.format("p%02d", i));
    }
    OperatorProcess operator = OperatorProcess.running(cluster);
    operator.restart(false, Map.of("HEROLOGIC_UI_PRICES", "{\"gpt-4o\": {\"input\": 2.5, \"output\": 10}}"));
    try {
      String priced = "http://127.0.0.1:" + operator.port();
      Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
          HttpRequest.newBuilder(URI.create(priced + "/api/v1/plays?namespace=" + ns)).header("Authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofString()).body().contains("\"total\":12"));
      // Each run: 1000 * 2.5 / 1e6 + 100 * 10 / 1e6 = 0.0035 USD; twelve: 0.042.
      Map<String, Object> params = new HashMap<>();
      params.put("namespace", ns);
      params.put("workflow", "sometimes");
      params.put("total", 12);
      params.put("failed", 3);
      params.put("inputValue", "grace");
      params.put("inputPlay", "p06");
      params.put("successText", "75.0% of 12 finished");
      params.put("tokensText", "13,200 (in 12,000, out 1,200)");
      params.put("costText", "$0.04");
      UiBrowser.Verdict verdict = browser.run("listscale", priced, token, params);
      assertTrue(verdict.ok(), "browser scenario listscale: " + verdict.failures());
    } finally {
      operator.restart(false, Map.of());
      this.base = "http://127.0.0.1:" + operator.port();
    }
  }

  @Test
  void aTraceCutByTheStatusBudgetSaysWhatWasDropped() {
    Flows.install(client, ns, "many", """
        from herologic import flow, step

        @flow(name="many")
        def many():
            for i in range(2100):
                with step(f"s{i:04d}"):
                    pass
        """);
    Flows.play(client, ns, "too-many", "many", null);
    Play play = Flows.awaitPlay(client, ns, "too-many", Duration.ofSeconds(180), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    var truncated = play.getStatus().getConditions().stream().filter(c -> "TraceTruncated".equals(c.getType())).findFirst().orElseThrow();
    assertTrue(play.getStatus().getDropped().getSpans() > 0);

    UiBrowser.Verdict verdict = expectPass("truncated", Map.of("namespace", ns, "play", "too-many",
        "shown", play.getStatus().getSpans().size(), "spanCount", play.getStatus().getSpanCount(),
        "droppedSpans", play.getStatus().getDropped().getSpans(), "conditionMessage", truncated.getMessage()));
    System.out.println("UiIT: " + play.getStatus().getSpans().size() + " spans: " + verdict.metrics());
  }

  @Test
  void theJsonApiAnswersScriptsFromTheCaches() throws Exception {
    String source = Flows.builtinSource(cluster, "hello");
    Flows.install(client, ns, "hello", source);
    // A second version whose source comes from a user's ConfigMap: the API shows the published snapshot.
    client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("hello-src").endMetadata()
        .addToData("flow.py", source.replace("Hello, ", "Hi, ")).build()).create();
    WorkflowVersion fromConfigMap = new WorkflowVersion();
    fromConfigMap.getMetadata().setName("hello-v2");
    fromConfigMap.getMetadata().setNamespace(ns);
    fromConfigMap.getSpec().setWorkflow("hello");
    fromConfigMap.getSpec().setSourceRef(new ConfigMapKeyRef("hello-src", "flow.py"));
    client.resource(fromConfigMap).create();
    Flows.play(client, ns, "api", "hello", Map.of("steps", 1));
    Play play = Flows.awaitFinal(client, ns, "api");

    JsonNode list = awaitJson("/api/v1/plays?namespace=" + ns, l -> l.path("items").size() == 1
        && "Succeeded".equals(l.path("items").get(0).path("phase").asText()));
    JsonNode row = list.path("items").get(0);
    assertEquals("api", row.path("name").asText());
    assertEquals("hello", row.path("workflow").asText());
    assertEquals("hello-v1", row.path("version").asText());
    assertTrue(list.path("namespaces").toString().contains(ns));
    assertEquals(0, getJson("/api/v1/plays?namespace=" + ns + "&phase=Failed,Running").path("total").asInt());
    assertEquals(1, getJson("/api/v1/namespaces/" + ns + "/plays?workflow=hello&phase=succeeded").path("total").asInt());
    assertEquals(0, getJson("/api/v1/plays?namespace=" + ns + "&workflow=other").path("total").asInt());

    HttpResponse<String> bad = get("/api/v1/plays?phase=" + URLEncoder.encode("Done", StandardCharsets.UTF_8));
    assertEquals(400, bad.statusCode());
    assertTrue(JSON.readTree(bad.body()).path("error").asText().contains("unknown phase \"Done\""), bad.body());
    assertEquals(400, get("/api/v1/plays?limit=0").statusCode());

    HttpResponse<String> detail = get("/api/v1/namespaces/" + ns + "/plays/api");
    assertEquals(200, detail.statusCode());
    JsonNode body = JSON.readTree(detail.body());
    assertTrue(body.path("finished").asBoolean());
    assertEquals(play.getStatus().getSpans().size(), body.path("spans").size());
    assertEquals(play.getStatus().getPodName(), body.path("podName").asText());
    assertEquals(play.getStatus().getDigest(), body.path("digest").asText());
    String etag = detail.headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> again = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/" + ns + "/plays/api"))
        .header("If-None-Match", etag).header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(304, again.statusCode(), "an unchanged Play costs a poller no body");
    assertEquals(404, get("/api/v1/namespaces/" + ns + "/plays/nope").statusCode());

    JsonNode workflow = awaitJson("/api/v1/namespaces/" + ns + "/workflows/hello", w -> w.path("versions").size() == 2
        && w.path("versions").findValues("ready").stream().allMatch(JsonNode::asBoolean));
    assertTrue(workflow.path("ready").asBoolean());
    assertEquals("hello-v1", workflow.path("currentVersion").asText());
    JsonNode listed = getJson("/api/v1/workflows?namespace=" + ns);
    assertEquals(1, listed.size());
    assertEquals("hello", listed.get(0).path("name").asText());

    HttpResponse<String> inline = get("/api/v1/namespaces/" + ns + "/workflowversions/hello-v1/source");
    assertEquals(200, inline.statusCode());
    assertEquals(source, inline.body());
    assertTrue(inline.headers().firstValue("Content-Type").orElse("").startsWith("text/x-python"));
    HttpResponse<String> snapshot = get("/api/v1/namespaces/" + ns + "/workflowversions/hello-v2/source");
    assertEquals(200, snapshot.statusCode(), snapshot.body());
    assertEquals(source.replace("Hello, ", "Hi, "), snapshot.body());
    JsonNode v2 = getJson("/api/v1/namespaces/" + ns + "/workflowversions/hello-v2");
    assertEquals(v2.path("digest").asText(), snapshot.headers().firstValue("X-Herologic-Digest").orElse(""));
    assertEquals("configMap", v2.path("source").asText());
    assertEquals("hello-src/flow.py", v2.path("sourceRef").asText());
    assertFalse(v2.path("current").asBoolean());
    assertNotNull(v2.path("inputs").get(0));
    assertEquals(404, get("/api/v1/namespaces/" + ns + "/workflowversions/nope/source").statusCode());

    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("script-src 'self'"));
  }

  @Test
  void anLlmCallReadsAsAConversationWithTokensAndItsCostFromThePriceTable() {
    Flows.install(client, ns, "chatty", """
        from herologic import flow, step, llm_span

        @flow(name="chatty")
        def chatty():
            with step("plan"):
                with llm_span("gpt-4o") as span:
                    span.record_prompt([{"role": "system", "content": "You plan trips."},
                                        {"role": "user", "content": "Plan a day in Rome"}])
                    span.record_usage(1200, 300, response_model="gpt-4o-2024-08-06")
                    span.record_reply("Colosseum, then lunch.")
                with llm_span("local-llama", provider="ollama") as span:
                    span.record_prompt([{"role": "user", "content": "hi"}])
                    span.record_usage(10, 5)
                    span.record_reply("hello")
            return {"ok": True}
        """);
    Flows.play(client, ns, "chat", "chatty", null);
    Play play = Flows.awaitFinal(client, ns, "chat");
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    OperatorProcess operator = OperatorProcess.running(cluster);
    // The price table is an operator setting (the chart's prices value): only gpt-4o has a price.
    operator.restart(false, Map.of("HEROLOGIC_UI_PRICES", "{\"gpt-4o\": {\"input\": 2.5, \"output\": 10}}"));
    try {
      String priced = "http://127.0.0.1:" + operator.port();
      Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> http.send(
          HttpRequest.newBuilder(URI.create(priced + "/api/v1/namespaces/" + ns + "/plays/chat")).header("Authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      // 1200 * 2.5 / 1e6 + 300 * 10 / 1e6 = 0.006 USD
      Map<String, Object> params = new HashMap<>();
      params.put("namespace", ns);
      params.put("play", "chat");
      params.put("pricedSpan", "chat gpt-4o");
      params.put("unpricedSpan", "chat local-llama");
      params.put("pricedMeta", "1.5k tok · $0.0060");
      params.put("unpricedMeta", "15 tok");
      params.put("messages", List.of(List.of("system", "You plan trips."), List.of("user", "Plan a day in Rome"),
          List.of("assistant", "Colosseum, then lunch.")));
      params.put("model", "gpt-4o-2024-08-06");
      params.put("requestModel", "gpt-4o");
      params.put("tokens", "in 1,200, out 300");
      params.put("cost", "$0.0060");
      params.put("playCost", "$0.0060 · no price for local-llama");
      UiBrowser.Verdict verdict = browser.run("conversation", priced, token, params);
      assertTrue(verdict.ok(), "browser scenario conversation: " + verdict.failures());
    } finally {
      operator.restart(false, Map.of());
      this.base = "http://127.0.0.1:" + operator.port();
    }
  }

  private UiBrowser.Verdict expectPass(String scenario, Map<String, ?> params) {
    UiBrowser.Verdict verdict = browser.run(scenario, base, token, params);
    assertTrue(verdict.ok(), "browser scenario " + scenario + ": " + verdict.failures());
    return verdict;
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = get(path);
    assertEquals(200, response.statusCode(), path + ": " + response.body());
    return JSON.readTree(response.body());
  }

  /** The API reads caches, which follow the cluster within moments: wait for them. */
  private JsonNode awaitJson(String path, java.util.function.Predicate<JsonNode> until) {
    return Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> getJson(path), until::test);
  }

  private static String pythonList(List<String> strings) {
    try {
      return JSON.writeValueAsString(strings); // a JSON array of strings is a Python list literal
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
