package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who sees what in the UI, its API and /q/metrics, through the real operator (default mode
 * {@code token}) and the real API server's TokenReview and RBAC, as distinct ServiceAccounts:
 * reader-a may list Plays, Workflows and WorkflowVersions in namespace A only, nobody may list
 * nothing anywhere, metrics-reader may get /metrics. Plays exist in A and B. Every refusal is
 * checked next to the allowed path that proves the check can let someone through.
 */
@DevClusterTest
class UiAuthIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private DevCluster cluster;
  private KubernetesClient admin;
  private String a;
  private String b;
  private String base;

  @BeforeEach
  void setUp(DevCluster cluster, KubernetesClient admin, TestNamespace namespace) {
    this.cluster = cluster;
    this.admin = admin;
    this.a = namespace.name();
    this.b = namespace.name() + "-b";
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(b).addToLabels("herologic.io/test", "true")
        .endMetadata().build()).create();
    this.base = "http://127.0.0.1:" + OperatorProcess.running(cluster).port();
  }

  @AfterEach
  void deleteB() {
    admin.namespaces().withName(b).delete();
  }

  @Test
  void eachViewerSeesOnlyTheNamespacesItMayReadAndTheRestIsNotFound() throws Exception {
    String source = Flows.builtinSource(cluster, "hello");
    String playA = "hello-a";
    String playB = "hello-b";
    Flows.install(admin, a, "hello", source);
    Flows.play(admin, a, playA, "hello", Map.of("steps", 1));
    Flows.install(admin, b, "hello", source);
    Flows.play(admin, b, playB, "hello", Map.of("steps", 1));
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, a, playA).getStatus().getPhase());
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, b, playB).getStatus().getPhase());
    String tokenA = readerOf(a);
    String nobody = UiViewers.token(admin, a, "nobody");
    String everywhere = UiViewers.everywhere(admin);

    // Without a token: 401 with a JSON error and a Bearer challenge, for every API path; the pages load.
    for (String path : List.of("/api/v1/plays", "/api/v1/session", "/api/v1/namespaces/" + a + "/plays/" + playA,
        "/api/v1/workflows", "/api/v1/namespaces/" + a + "/workflowversions/hello-v1/source", "/api/v1/no-such-path")) {
      HttpResponse<String> refused = get(path, null);
      assertEquals(401, refused.statusCode(), path);
      assertTrue(JSON.readTree(refused.body()).path("error").asText().contains("Bearer"), refused.body());
      assertTrue(refused.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), path);
    }
    assertEquals(200, get("/", null).statusCode(), "the page itself holds no data and loads without a token");
    assertEquals(200, get("/js/app.js", null).statusCode());
    assertEquals(200, get("/q/health/ready", null).statusCode(), "probes need no token");
    HttpResponse<String> garbage = get("/api/v1/plays", "not-a-token");
    assertEquals(401, garbage.statusCode(), "a token the API server does not accept");
    assertTrue(JSON.readTree(garbage.body()).path("error").asText().contains("not accepted"), garbage.body());
    assertEquals(401, getWithHeader("/api/v1/plays", "Basic " + tokenA).statusCode(), "only the Bearer scheme carries a token");

    // Token A: A's Plays, Workflows and sources; B invisible in every list and 404 by URL.
    JsonNode session = json(get("/api/v1/session", tokenA));
    assertEquals("system:serviceaccount:" + a + ":reader-a", session.path("user").asText());
    assertEquals("token", session.path("authentication").asText());
    JsonNode listA = awaitJson("/api/v1/plays", tokenA, l -> names(l.path("items")).contains(a + "/" + playA));
    assertFalse(names(listA.path("items")).stream().anyMatch(n -> n.startsWith(b + "/")), "B's play in A's list: " + listA);
    assertEquals(List.of(a), strings(listA.path("namespaces")), "the namespace filter offers only A");
    assertEquals(0, json(get("/api/v1/plays?namespace=" + b, tokenA)).path("total").asInt(), "filtering on B shows nothing");
    assertEquals(0, json(get("/api/v1/namespaces/" + b + "/plays", tokenA)).path("total").asInt());
    assertEquals(200, get("/api/v1/namespaces/" + a + "/plays/" + playA, tokenA).statusCode());
    HttpResponse<String> hiddenPlay = get("/api/v1/namespaces/" + b + "/plays/" + playB, tokenA);
    assertEquals(404, hiddenPlay.statusCode(), "B's play by its URL");
    assertEquals("Play " + b + "/" + playB + " not found", JSON.readTree(hiddenPlay.body()).path("error").asText(),
        "the same answer as for a play that does not exist");
    assertEquals(404, get("/api/v1/namespaces/" + a + "/plays/nope", tokenA).statusCode());
    assertEquals(source, get("/api/v1/namespaces/" + a + "/workflowversions/hello-v1/source", tokenA).body());
    assertEquals(404, get("/api/v1/namespaces/" + b + "/workflowversions/hello-v1/source", tokenA).statusCode(), "B's version source");
    assertEquals(404, get("/api/v1/namespaces/" + b + "/workflowversions/hello-v1", tokenA).statusCode());
    assertEquals(200, get("/api/v1/namespaces/" + a + "/workflows/hello", tokenA).statusCode());
    assertEquals(404, get("/api/v1/namespaces/" + b + "/workflows/hello", tokenA).statusCode());
    assertEquals(Set.of(a), namespacesOf(json(get("/api/v1/workflows", tokenA))), "workflows of A only");

    // The same objects are there for a viewer allowed everywhere: the 404s above were the viewer's.
    assertEquals(200, get("/api/v1/namespaces/" + b + "/plays/" + playB, everywhere).statusCode());
    assertEquals(200, get("/api/v1/namespaces/" + b + "/workflowversions/hello-v1/source", everywhere).statusCode());
    assertTrue(namespacesOf(json(get("/api/v1/workflows", everywhere))).containsAll(Set.of(a, b)));

    // A valid token whose user may read nothing: signed in, and an empty UI.
    JsonNode empty = json(get("/api/v1/plays", nobody));
    assertEquals(0, empty.path("total").asInt(), empty.toString());
    assertEquals(List.of(), strings(empty.path("namespaces")));
    assertEquals(0, json(get("/api/v1/workflows", nobody)).size());
    assertEquals(404, get("/api/v1/namespaces/" + a + "/plays/" + playA, nobody).statusCode());

    // The same through the browser: the login page, a refused token, A's plays only, B's URL not found, sign out.
    UiBrowser browser = UiBrowser.prepare(cluster);
    UiBrowser.Verdict verdict = browser.run("login", base, null, Map.of("namespace", a, "play", playA, "otherNamespace", b,
        "otherPlay", playB, "tokenA", tokenA, "userA", "system:serviceaccount:" + a + ":reader-a"));
    assertTrue(verdict.ok(), "browser scenario login: " + verdict.failures());
  }

  @Test
  void metricsNeedATokenAllowedToGetTheMetricsUrl() throws Exception {
    String tokenA = readerOf(a);
    UiViewers.bindClusterRole(admin, UiViewers.metricsRole(admin), a, "prometheus");
    String prometheus = UiViewers.token(admin, a, "prometheus");

    assertEquals(401, get("/q/metrics", null).statusCode(), "no token");
    assertEquals(401, get("/q/metrics", "not-a-token").statusCode(), "a garbage token");
    HttpResponse<String> forbidden = get("/q/metrics", tokenA);
    assertEquals(403, forbidden.statusCode(), "reader-a may read Plays, not /metrics: " + forbidden.body());
    HttpResponse<String> scraped = get("/q/metrics", prometheus);
    assertEquals(200, scraped.statusCode(), scraped.body());
    assertTrue(scraped.body().contains("# TYPE jvm_memory_used_bytes"), "the operator's metrics: " + scraped.body().lines().limit(5).toList());
    assertEquals(200, get("/q/health/live", null).statusCode(), "health stays open");
  }

  @Test
  void withAuthenticationOffEverythingIsOpenAndThePageSaysSo() throws Exception {
    Flows.install(admin, a, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(admin, a, "open", "hello", Map.of("steps", 1));
    Flows.awaitFinal(admin, a, "open");
    OperatorProcess shared = OperatorProcess.running(cluster);
    shared.stopForAWhile();
    OperatorProcess demo = null;
    try {
      demo = OperatorProcess.launch(cluster, cluster.kubeconfig(), Map.of("HEROLOGIC_UI_AUTH", "none"));
      String demoBase = "http://127.0.0.1:" + demo.port();
      assertEquals("none", json(send(demoBase, "/api/v1/session", null)).path("authentication").asText());
      JsonNode list = Awaitility.await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
          .until(() -> json(send(demoBase, "/api/v1/plays?namespace=" + a, null)), l -> l.path("total").asInt() == 1);
      assertEquals("open", list.path("items").get(0).path("name").asText());
      assertEquals(200, send(demoBase, "/q/metrics", null).statusCode(), "metrics stay open in the demo mode");
      assertTrue(demo.log().contains("authentication is off"), "the operator warns at start");
      HttpResponse<String> write = http.send(HttpRequest.newBuilder(URI.create(demoBase + "/api/v1/namespaces/" + a + "/plays"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"workflow\":\"hello\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(403, write.statusCode(), "no user to act as, so no write: " + write.body());
      assertTrue(JSON.readTree(write.body()).path("error").asText().contains("no signed-in user to act as"), write.body());
      UiBrowser.Verdict verdict = UiBrowser.prepare(cluster).run("demo", demoBase, null, Map.of("namespace", a, "play", "open"));
      assertTrue(verdict.ok(), "browser scenario demo: " + verdict.failures());
    } finally {
      if (demo != null) {
        demo.stop();
      }
      shared.start();
    }
    assertEquals(401, send("http://127.0.0.1:" + shared.port(), "/api/v1/plays", null).statusCode(), "the default mode is token");
    assertEquals(1, admin.resources(io.herologic.model.Play.class).inNamespace(a).list().getItems().size(), "the demo's refused writes changed nothing");
  }

  /** A token for reader-a, whose Role in {@code namespace} allows list on the three kinds and nothing else. */
  private String readerOf(String namespace) {
    admin.resource(new RoleBuilder().withNewMetadata().withName("ui-reader").withNamespace(namespace).endMetadata()
        .addNewRule().withApiGroups("herologic.io").withResources("plays", "workflows", "workflowversions").withVerbs("list").endRule()
        .build()).forceConflicts().serverSideApply();
    admin.resource(new RoleBindingBuilder().withNewMetadata().withName("ui-reader").withNamespace(namespace).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("ui-reader").endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName("reader-a").withNamespace(namespace).endSubject().build())
        .forceConflicts().serverSideApply();
    return UiViewers.token(admin, namespace, "reader-a");
  }

  private HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
    return send(base, path, token);
  }

  private HttpResponse<String> getWithHeader(String path, String authorization) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", authorization).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> send(String server, String path, String token) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server + path));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    assertEquals(200, response.statusCode(), response.uri() + ": " + response.body());
    return JSON.readTree(response.body());
  }

  private JsonNode awaitJson(String path, String token, java.util.function.Predicate<JsonNode> until) {
    return Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> json(get(path, token)), until::test);
  }

  private static List<String> names(JsonNode items) {
    List<String> out = new ArrayList<>();
    items.forEach(i -> out.add(i.path("namespace").asText() + "/" + i.path("name").asText()));
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(s -> out.add(s.asText()));
    return out;
  }

  private static Set<String> namespacesOf(JsonNode workflows) {
    Set<String> out = new TreeSet<>();
    workflows.forEach(w -> out.add(w.path("namespace").asText()));
    return out;
  }
}
