package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.herologic.model.ConcurrencyMode;
import io.herologic.model.ConcurrencyPolicy;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Concurrency limits on a real cluster, checked by watching the Pods themselves. */
@DevClusterTest
class PlayConcurrencyIT {
  private static final String NAP = """
      import time
      from herologic import flow

      @flow(name="nap", inputs={"seconds": {"type": "number", "default": 2}})
      def nap(seconds=2):
          time.sleep(seconds)
          return {"slept": seconds}
      """;
  private static final int PLAYS = 20;
  private static final int MAX_RUNNING = 3;

  private DevCluster cluster;
  private KubernetesClient client;
  private String ns;

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
  }

  /** Watches the namespace's flow Pods: how many were unfinished at once, and in which order they appeared. */
  private static final class PodWatch implements Watcher<Pod> {
    final Set<String> unfinished = new HashSet<>();
    final AtomicInteger most = new AtomicInteger();
    final Map<String, Instant> created = new LinkedHashMap<>(); // Play name -> when its Pod appeared, in the order they did

    @Override
    public synchronized void eventReceived(Action action, Pod pod) {
      String name = pod.getMetadata().getName();
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      boolean done = action == Action.DELETED || "Succeeded".equals(phase) || "Failed".equals(phase);
      if (done) {
        unfinished.remove(name);
      } else {
        unfinished.add(name);
        most.accumulateAndGet(unfinished.size(), Math::max);
      }
      if (action == Action.ADDED) {
        created.putIfAbsent(pod.getMetadata().getLabels().get("herologic.io/play"), Instant.now());
      }
    }

    @Override
    public void onClose(WatcherException cause) {}
  }

  private void awaitVersionReady(String name) {
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
      var version = client.resources(io.herologic.model.WorkflowVersion.class).inNamespace(ns).withName(name).get();
      return version != null && version.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    });
  }

  @Test
  void twentyPlaysNeverRunMoreThanThreePodsAndStartInCreationOrderAcrossARestart() throws Exception {
    Flows.install(client, ns, "nap", NAP, w -> w.setConcurrency(new ConcurrencyPolicy(MAX_RUNNING, null)));
    // Plays that wait for their version are not in line yet (README "Concurrency"): the order is
    // promised for Plays that are, so the version is Ready before the first Play exists.
    awaitVersionReady("nap-v1");
    PodWatch pods = new PodWatch();
    String viewer = UiViewers.everywhere(client);
    OperatorProcess operator = OperatorProcess.running(cluster);
    try (Watch watch = client.pods().inNamespace(ns).watch(pods)) {
      for (int i = 0; i < PLAYS; i++) {
        Flows.play(client, ns, String.format("nap-%02d", i), "nap", Map.of("seconds", 2));
      }
      Play queued = Flows.awaitPlay(client, ns, "nap-19", Duration.ofSeconds(60), p -> p.getStatus().getConditions().stream()
          .anyMatch(c -> "Queued".equals(c.getReason())));
      assertEquals(PlayPhase.Pending, queued.getStatus().getPhase());
      assertTrue(queued.getStatus().getMessage().matches("queued, number \\d+ in line: Workflow nap allows 3 running Plays and 3 are running"),
          queued.getStatus().getMessage());
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> operator.metric("herologic_plays_queued", viewer) > 0);

      // Half way through, the operator dies: the queue lives in the API, not in its memory.
      Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> pods.created.size() >= 8);
      operator.restart(true, Map.of());

      for (int i = 0; i < PLAYS; i++) {
        Play done = Flows.awaitPlay(client, ns, String.format("nap-%02d", i), Duration.ofSeconds(240),
            p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
        assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getMetadata().getName() + ": " + done.getStatus().getMessage());
      }
    }
    synchronized (pods) {
      System.out.printf("most flow Pods unfinished at once: %d; Pods appeared for %s%n", pods.most.get(), pods.created.keySet());
      assertEquals(MAX_RUNNING, pods.most.get(), "never more than " + MAX_RUNNING + " at once, and the limit was reached");
      assertEquals(PLAYS, pods.created.size());
      // Plays admitted together may create their Pods in either order, but at most MAX_RUNNING are
      // ever starting at once (each holds a place), so in creation order no Pod can appear more than
      // MAX_RUNNING - 1 places away from its Play's place in line. LIFO or random order would.
      List<String> appeared = new ArrayList<>(pods.created.keySet());
      for (int i = 0; i < PLAYS; i++) {
        int place = appeared.indexOf(String.format("nap-%02d", i));
        assertTrue(Math.abs(place - i) < MAX_RUNNING, "nap-" + i + "'s Pod appeared " + (place + 1) + "th: " + appeared);
      }
    }
  }

  @Test
  void theOperatorsPerNamespaceLimitHoldsPlaysOfEveryWorkflow() throws Exception {
    OperatorProcess operator = OperatorProcess.running(cluster);
    operator.restart(false, Map.of("HEROLOGIC_MAX_RUNNING_PLAYS_PER_NAMESPACE", "2"));
    try {
      Flows.install(client, ns, "nap-a", NAP);
      Flows.install(client, ns, "nap-b", NAP);
      awaitVersionReady("nap-a-v1"); // as above: only Plays whose version is Ready are in line
      awaitVersionReady("nap-b-v1");
      PodWatch pods = new PodWatch();
      try (Watch watch = client.pods().inNamespace(ns).watch(pods)) {
        for (int i = 0; i < 6; i++) {
          Flows.play(client, ns, "ns-" + i, i % 2 == 0 ? "nap-a" : "nap-b", Map.of("seconds", 2));
        }
        Play queued = Flows.awaitPlay(client, ns, "ns-5", Duration.ofSeconds(60), p -> p.getStatus().getConditions().stream()
            .anyMatch(c -> "Queued".equals(c.getReason())));
        assertTrue(queued.getStatus().getMessage().endsWith("the operator allows 2 running Plays per namespace and 2 are running in " + ns),
            queued.getStatus().getMessage());
        for (int i = 0; i < 6; i++) {
          Play done = Flows.awaitPlay(client, ns, "ns-" + i, Duration.ofSeconds(120), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
          assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
        }
      }
      synchronized (pods) {
        assertEquals(2, pods.most.get(), "two Workflows without limits of their own share the namespace's two places");
      }
    } finally {
      operator.restart(false, Map.of());
    }
  }

  @Test
  void forbidFailsTheSurplusPlayAndReplaceStopsTheOldest() {
    Flows.install(client, ns, "only", NAP, w -> w.setConcurrency(new ConcurrencyPolicy(1, ConcurrencyMode.Forbid)));
    Flows.play(client, ns, "only-first", "only", Map.of("seconds", 60));
    Flows.awaitPlay(client, ns, "only-first", Duration.ofSeconds(90), p -> p.getStatus().getPhase() == PlayPhase.Running);
    Flows.play(client, ns, "only-second", "only", Map.of("seconds", 0));
    Play forbidden = Flows.awaitFinal(client, ns, "only-second");
    assertEquals(PlayPhase.Failed, forbidden.getStatus().getPhase());
    assertEquals("ConcurrencyLimit", forbidden.getStatus().getError().getType());
    assertEquals("Workflow only allows 1 running Plays and 1 are running (its concurrency policy is Forbid)", forbidden.getStatus().getMessage());
    assertEquals(PlayPhase.Running, Flows.get(client, ns, "only-first").getStatus().getPhase(), "the running Play is left alone");

    Flows.install(client, ns, "latest", NAP, w -> w.setConcurrency(new ConcurrencyPolicy(1, ConcurrencyMode.Replace)));
    Flows.play(client, ns, "latest-old", "latest", Map.of("seconds", 60));
    Flows.awaitPlay(client, ns, "latest-old", Duration.ofSeconds(90), p -> p.getStatus().getPhase() == PlayPhase.Running);
    Flows.play(client, ns, "latest-new", "latest", Map.of("seconds", 0));
    Play replaced = Flows.awaitFinal(client, ns, "latest-old");
    assertEquals(PlayPhase.Cancelled, replaced.getStatus().getPhase());
    assertTrue(replaced.getStatus().getConditions().stream().anyMatch(c -> "Completed".equals(c.getType()) && "Replaced".equals(c.getReason())),
        replaced.getStatus().getConditions().toString());
    Play newer = Flows.awaitFinal(client, ns, "latest-new");
    assertEquals(PlayPhase.Succeeded, newer.getStatus().getPhase(), newer.getStatus().getMessage());
    assertTrue(Instant.parse(newer.getStatus().getStartTime()).compareTo(Instant.parse(replaced.getStatus().getCompletionTime()).minusSeconds(1)) >= 0,
        "the newer Play started only once the replaced one had stopped");
    client.resources(Play.class).inNamespace(ns).withName("only-first").edit(p -> {
      p.getSpec().setCancel(true);
      return p;
    });
  }
}
