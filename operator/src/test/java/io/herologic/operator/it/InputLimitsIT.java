package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.operator.config.KubernetesJsonLimits;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Inputs as deep and as large as the API server lets anyone write (flows/CONTRACT.md): the Play fails
 * with the contract's message, and the operator keeps serving every other Play. Such Plays are sent
 * as raw JSON and read back with the operator's own limits: a client with Jackson's defaults cannot
 * even read them, which is exactly what would have stopped the operator's informer.
 */
@DevClusterTest
class InputLimitsIT {
  private static final String FLOW = """
      from herologic import flow

      @flow(name="limits", inputs={"data": {"default": None}, "text": {"type": "string", "default": ""}})
      def limits(data=None, text=""):
          return {"text_length": len(text)}
      """;
  private static final ObjectMapper LIMITED = limitedMapper();

  private KubernetesClient client;
  private String ns;

  private static ObjectMapper limitedMapper() {
    ObjectMapper mapper = new ObjectMapper();
    new KubernetesJsonLimits().customize(mapper);
    return mapper;
  }

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.client = client;
    this.ns = namespace.name();
    Flows.install(client, ns, "limits", FLOW);
  }

  @Test
  void aPlayNested5000LevelsDeepFailsWithThePathAndOthersStillRun() throws Exception {
    String deep = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
    assertEquals(201, create("deep", "{\"data\":" + deep + "}").code(), "the API server accepts 5,000 levels");

    Play failed = awaitFinal("deep");
    assertEquals(PlayPhase.Failed, failed.getStatus().getPhase());
    assertEquals("InvalidInputs", failed.getStatus().getError().getType());
    assertEquals("spec.inputs.data" + ".a".repeat(31) + ": nested deeper than 32 levels", failed.getStatus().getMessage());
    assertNull(failed.getStatus().getPodName());

    Flows.play(client, ns, "after-deep", "limits", Map.of("text", "ok"));
    Play ok = Flows.awaitFinal(client, ns, "after-deep");
    assertEquals(PlayPhase.Succeeded, ok.getStatus().getPhase(), ok.getStatus().getMessage());
    assertEquals(2, ok.getStatus().getOutput().get("text_length").asInt());
  }

  @Test
  void aPlayOfMoreThanTheLimitFailsWithItsSizeAndAHugeOneIsRefusedByTheApiServer() throws Exception {
    String text = "x".repeat(1_363_138); // {"text":"..."} is then 1,363,149 bytes
    assertEquals(201, create("large", "{\"text\":\"" + text + "\"}").code(), "etcd stores objects up to ~1.5 MiB");
    Play failed = awaitFinal("large");
    assertEquals(PlayPhase.Failed, failed.getStatus().getPhase());
    assertEquals("spec.inputs: 1363149 bytes of JSON, more than the 192 KiB (196608 bytes) limit", failed.getStatus().getMessage());

    // A 30 MB string never reaches the operator: the API server refuses the request itself.
    HttpResponse<String> huge = create("huge", "{\"text\":\"" + "x".repeat(30_000_000) + "\"}");
    assertEquals(413, huge.code(), huge.body() == null ? "" : huge.body().substring(0, Math.min(300, huge.body().length())));

    Flows.play(client, ns, "after-large", "limits", Map.of("text", "fine"));
    Play ok = Flows.awaitFinal(client, ns, "after-large");
    assertEquals(PlayPhase.Succeeded, ok.getStatus().getPhase(), ok.getStatus().getMessage());
    assertEquals(4, ok.getStatus().getOutput().get("text_length").asInt());
  }

  @Test
  void inputsThatTheDeclaredDefaultsTakePastTheLimitFailBeforeAnyPodIsMade() throws Exception {
    String data = "x".repeat(196_597); // {"data":"..."} is exactly the limit; the default of text adds ,"text":""
    assertEquals(201, create("defaulted", "{\"data\":\"" + data + "\"}").code());

    Play failed = awaitFinal("defaulted");

    assertEquals(PlayPhase.Failed, failed.getStatus().getPhase());
    assertEquals("InvalidInputs", failed.getStatus().getError().getType());
    assertEquals("spec.inputs: 196618 bytes of JSON with the declared defaults of text, more than the 192 KiB (196608 bytes) limit",
        failed.getStatus().getMessage());
    assertNull(failed.getStatus().getPodName(), "refused before a Pod, not by the runner inside one");
  }

  /** POSTs a Play with these inputs (raw JSON: the test client's own Jackson could not write a deep tree). */
  private HttpResponse<String> create(String name, String inputs) throws Exception {
    String body = """
        {"apiVersion": "herologic.io/v1alpha1", "kind": "Play", "metadata": {"name": "%s", "namespace": "%s"},
         "spec": {"workflow": "limits", "inputs": %s}}""".formatted(name, ns, inputs);
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder()
        .uri(plays() + "?fieldManager=input-limits-it").post("application/json", body).build();
    return client.getHttpClient().sendAsync(request, String.class).get(120, TimeUnit.SECONDS);
  }

  private Play awaitFinal(String name) {
    return Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
        .until(() -> read(name), p -> p.getStatus() != null && p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
  }

  private Play read(String name) throws Exception {
    HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(plays() + "/" + name).build();
    HttpResponse<String> response = client.getHttpClient().sendAsync(request, String.class).get(60, TimeUnit.SECONDS);
    assertTrue(response.isSuccessful(), response.body());
    return LIMITED.readValue(response.body(), Play.class);
  }

  private String plays() {
    return client.getMasterUrl().toString().replaceAll("/$", "") + "/apis/herologic.io/v1alpha1/namespaces/" + ns + "/plays";
  }
}
