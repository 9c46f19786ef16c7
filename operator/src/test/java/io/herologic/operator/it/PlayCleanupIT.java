package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deleting Plays frees everything the operator held for them, whatever phase they were in. */
@DevClusterTest
class PlayCleanupIT {
  private static final int PLAYS = 50;
  private KubernetesClient client;
  private String ns;
  private OperatorProcess operator;
  private String viewer;

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    this.operator = OperatorProcess.running(cluster);
    this.client = client;
    this.ns = namespace.name();
    this.viewer = UiViewers.everywhere(client); // may get /metrics
  }

  @Test
  void deletingFiftyRunningPlaysFreesTheirFollowersTracesAndHeap() {
    Flows.install(client, ns, "chatty", """
        import time
        from herologic import flow, step

        @flow(name="chatty", inputs={"n": {"type": "integer"}})
        def chatty(n):
            for i in range(200):
                with step(f"step {i}", n=n) as span:
                    span.log("x" * 200)
            time.sleep(300)
        """);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> operator.metric("herologic_log_followers", viewer) == 0);
    long before = operator.heapUsedAfterGc();

    for (int i = 0; i < PLAYS; i++) {
      Flows.play(client, ns, "run-" + i, "chatty", Map.of("n", i));
    }
    Awaitility.await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofSeconds(1)).until(() ->
        client.resources(Play.class).inNamespace(ns).list().getItems().stream()
            .filter(p -> p.getStatus().getPhase() == PlayPhase.Running && p.getStatus().getSpans() != null && p.getStatus().getSpans().size() > 100)
            .count() == PLAYS);
    assertEquals(PLAYS, operator.metric("herologic_log_followers", viewer), "one follower per running Play");
    long whileRunning = operator.heapUsedAfterGc();

    for (int i = 0; i < PLAYS; i++) { // one by one: a collection delete of 50 large Plays can outlast the client's timeout on a busy machine
      String name = "run-" + i;
      Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> client.resources(Play.class).inNamespace(ns).withName(name).delete() != null);
    }
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> operator.metric("herologic_log_followers", viewer) == 0);
    long after = operator.heapUsedAfterGc();
    System.out.printf("operator heap after GC: before %d KiB, %d running %d KiB, after deleting them %d KiB%n",
        before / 1024, PLAYS, whileRunning / 1024, after / 1024);
    assertTrue(whileRunning > before, "the running Plays' traces take heap (" + before + " -> " + whileRunning + "), so the check below means something");
    // The followers' traces are gone: what stays is at most a small fraction of what they held.
    assertTrue(after - before < (whileRunning - before) / 2 + 8 * 1024 * 1024,
        "heap after deleting the Plays came back: before " + before + ", running " + whileRunning + ", after " + after);
  }
}
