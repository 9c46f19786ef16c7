package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two shards of the operator (README, "Sharding") in one namespace, told apart by the shard label
 * on Plays: each Play is run by exactly one of them, the one its label selects. Which one wrote a
 * Play's status shows in the Play's managedFields (each shard has its own field manager).
 */
@DevClusterTest
class ShardingIT {
  private static final String SHARD_LABEL = "herologic.io/shard";

  @Test
  void eachPlayIsReconciledByTheOneShardItsLabelSelects(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    String ns = namespace.name();
    OperatorProcess.running(cluster); // CRDs and admission policies in place
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    OperatorProcess.withoutOperator(() -> {
      List<OperatorProcess> shards = new ArrayList<>();
      try {
        shards.add(OperatorProcess.launch(cluster, cluster.kubeconfig(),
            Map.of("HEROLOGIC_SHARD_NAME", "a", "HEROLOGIC_SHARD_PLAY_SELECTOR", SHARD_LABEL + "=a")));
        shards.add(OperatorProcess.launch(cluster, cluster.kubeconfig(),
            Map.of("HEROLOGIC_SHARD_NAME", "rest", "HEROLOGIC_SHARD_PLAY_SELECTOR", "!" + SHARD_LABEL)));
        List<String> labelled = List.of("a-1", "a-2", "a-3");
        List<String> unlabelled = List.of("u-1", "u-2", "u-3");
        labelled.forEach(name -> create(client, ns, name, Map.of(SHARD_LABEL, "a")));
        unlabelled.forEach(name -> create(client, ns, name, Map.of()));

        for (String name : labelled) {
          assertRunBy(client, ns, name, "play-a");
        }
        for (String name : unlabelled) {
          assertRunBy(client, ns, name, "play-rest");
        }
      } finally {
        shards.forEach(OperatorProcess::stop);
      }
    });
  }

  /** A hello Play with {@code labels} from the start: no shard may see it without them. */
  private static void create(KubernetesClient client, String ns, String name, Map<String, String> labels) {
    Play play = new Play();
    play.getMetadata().setNamespace(ns);
    play.getMetadata().setName(name);
    play.getMetadata().setLabels(labels);
    play.getSpec().setWorkflow("hello");
    play.getSpec().setInputs(Flows.json("{\"steps\": 1}"));
    client.resource(play).create();
  }

  private static void assertRunBy(KubernetesClient client, String ns, String name, String fieldManager) {
    Play play = Flows.awaitFinal(client, ns, name);
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), name + ": " + play.getStatus().getMessage());
    Set<String> statusWriters = play.getMetadata().getManagedFields().stream()
        .filter(f -> "status".equals(f.getSubresource())).map(ManagedFieldsEntry::getManager).collect(Collectors.toSet());
    assertEquals(Set.of(fieldManager), statusWriters, name + "'s status was written by");
    assertEquals(1, client.pods().inNamespace(ns).list().getItems().stream()
        .filter(p -> p.getMetadata().getOwnerReferences().stream().anyMatch(o -> o.getUid().equals(play.getMetadata().getUid()))).count(),
        name + " has exactly one Pod");
  }
}
