package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.operator.bench.FinishedPlays;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The operator keeps finished Plays without their spans in its cache (FinishedPlayStore): the UI
 * still serves a finished Play's whole tree (read on demand from the API server), and the spans
 * stay whole on the server however long the operator holds the trimmed copy.
 */
@DevClusterTest
class FinishedPlayMemoryIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int SPANS = 2000;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aFinishedPlaysWholeTreeIsServedAfterTheOperatorRestarted(DevCluster cluster, KubernetesClient client, TestNamespace namespace)
      throws Exception {
    String ns = namespace.name();
    OperatorProcess operator = OperatorProcess.running(cluster);
    // Written while no operator runs, so the operator's first sight of the Play is the restart's
    // list: the Play reaches the cache only through the trimming store.
    OperatorProcess.withoutOperator(() -> FinishedPlays.create(client, ns, "big", "no-such-workflow", SPANS));
    assertTrue(operator.log().contains("finished Plays are cached without their spans"), "the trimming store is installed");
    String token = UiViewers.everywhere(client);
    String base = "http://127.0.0.1:" + operator.port() + "/api/v1/namespaces/" + ns + "/plays";

    JsonNode row = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
        .until(() -> json(base, token).get("items"), items -> items.size() == 1).get(0);
    assertEquals(SPANS, row.get("spanCount").asInt(), row.toString());
    assertEquals("Succeeded", row.get("phase").asText());

    JsonNode detail = json(base + "/big", token);
    JsonNode spans = detail.get("spans");
    assertEquals(SPANS, spans.size(), "spans served for the finished Play");
    assertEquals("bench", spans.get(0).get("name").asText());
    assertEquals("step " + (SPANS - 1), spans.get(SPANS - 1).get("name").asText());
    assertEquals("step 7 of " + SPANS + " done: fetched 3 rows from calendar.events", spans.get(7).get("logs").get(0).asText());

    // The operator has reconciled the finished Play (history limits, time to live) from its trimmed
    // copy by now; nothing of the trace on the server was lost.
    Thread.sleep(3000);
    Play stored = client.resources(Play.class).inNamespace(ns).withName("big").get();
    assertEquals(SPANS, stored.getStatus().getSpans().size());
    assertEquals(SPANS, json(base + "/big", token).get("spans").size(), "served again (from the UI's short-lived copy or a new read)");
  }

  private JsonNode json(String url, String token) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), url + ": " + response.body());
    return JSON.readTree(response.body());
  }
}
