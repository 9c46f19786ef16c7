package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayHistory;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A Workflow's history limits keep exactly the newest finished Plays; the oldest go, with their Pods. */
@DevClusterTest
class PlayRetentionIT {
  private KubernetesClient client;
  private String ns;
  private DevCluster cluster;

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
  }

  @Test
  void theOldestFinishedPlaysBeyondTheHistoryLimitsAreDeleted() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"), spec -> spec.setHistory(new PlayHistory(2, 1)));
    List<String> succeeded = List.of("ok-1", "ok-2", "ok-3", "ok-4");
    for (String name : succeeded) { // one after the other, so their completion order is their name order
      Flows.play(client, ns, name, "hello", null);
      assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(client, ns, name).getStatus().getPhase());
    }
    String firstPod = "ok-1";
    for (String name : List.of("bad-1", "bad-2")) { // inputs that do not match: Failed at once
      Flows.play(client, ns, name, "hello", Map.of("steps", "three"));
      assertEquals(PlayPhase.Failed, Flows.awaitFinal(client, ns, name).getStatus().getPhase());
    }

    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(this::names, names -> names.equals(Set.of("ok-3", "ok-4", "bad-2")));
    // And it stays that way: nothing newer is taken for older.
    Awaitility.await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10)).until(this::names, names -> names.equals(Set.of("ok-3", "ok-4", "bad-2")));
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> client.pods().inNamespace(ns).list().getItems().stream()
        .noneMatch(p -> p.getMetadata().getName().startsWith(firstPod + "-")));
  }

  private Set<String> names() {
    return client.resources(Play.class).inNamespace(ns).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null).map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
  }
}
