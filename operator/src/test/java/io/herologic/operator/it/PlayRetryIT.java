package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayAttempt;
import io.herologic.model.PlayPhase;
import io.herologic.model.RetryBackoff;
import io.herologic.model.RetryCause;
import io.herologic.model.RetryPolicy;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retries on a real cluster: each attempt a new Pod running real Python, the policy deciding which failures run again. */
@DevClusterTest
class PlayRetryIT {
  /** Fails on its first two attempts and succeeds on the third: the operator tells it which attempt it is. */
  private static final String FLAKY = """
      import os
      from herologic import flow, step

      @flow(name="flaky")
      def flaky():
          attempt = int(os.environ["HEROLOGIC_ATTEMPT"])
          with step("try", attempt=attempt):
              if attempt < 3:
                  raise RuntimeError(f"attempt {attempt} is not the lucky one")
          return {"attempt": attempt}
      """;
  /** Waits on its first attempt (long enough to have its Pod deleted) and succeeds at once on any later one. */
  private static final String SLOW_FIRST = """
      import os, time
      from herologic import flow

      @flow(name="slow-first")
      def slow_first():
          attempt = int(os.environ["HEROLOGIC_ATTEMPT"])
          if attempt == 1:
              time.sleep(300)
          return {"attempt": attempt}
      """;
  private static final RetryBackoff ONE_SECOND = new RetryBackoff(1, 1, 1);

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

  @Test
  void aFlakyFlowSucceedsOnItsThirdAttemptInItsThirdPod() {
    Flows.install(client, ns, "flaky", FLAKY, w -> w.setRetry(new RetryPolicy(5, ONE_SECOND, null)));
    Flows.play(client, ns, "lucky", "flaky", null);
    Play play = Flows.awaitPlay(client, ns, "lucky", Duration.ofSeconds(180), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());

    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals(3, play.getStatus().getAttempt());
    assertEquals(3, play.getStatus().getOutput().get("attempt").asInt());
    List<PlayAttempt> attempts = play.getStatus().getAttempts();
    assertEquals(List.of(PlayPhase.Failed, PlayPhase.Failed, PlayPhase.Succeeded), attempts.stream().map(PlayAttempt::getPhase).toList());
    assertEquals(RetryCause.FlowFailed, attempts.get(0).getCause());
    assertEquals("RuntimeError", attempts.get(1).getErrorType());
    assertEquals("attempt 2 is not the lucky one", attempts.get(1).getErrorMessage());
    attempts.forEach(a -> assertTrue(a.getStartTime() != null && a.getCompletionTime() != null, "start and end of " + a));
    assertNull(play.getStatus().getError(), "the error was the failed attempts', not the Play's");
    assertEquals(3, play.getStatus().getSpans().get(0).getTags().get("herologic.play.attempt").asInt(), "the tree says which attempt it shows");
    assertEquals(3, play.getStatus().getSpans().stream().filter(s -> s.getName().equals("try")).findFirst().orElseThrow()
        .getTags().get("attempt").asInt(), "the tree is the last attempt's");

    List<String> pods = client.pods().inNamespace(ns).list().getItems().stream().map(p -> p.getMetadata().getName()).sorted().toList();
    assertEquals(attempts.stream().map(PlayAttempt::getPodName).sorted().toList(), pods, "one Pod per attempt, all kept");
    assertEquals(3, pods.size());
    assertEquals(play.getStatus().getPodName(), attempts.get(2).getPodName());

    String viewer = UiViewers.everywhere(client); // may get /metrics
    OperatorProcess operator = OperatorProcess.running(cluster);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() ->
        operator.metric("herologic_play_retries_total{cause=\"FlowFailed\",workflow=\"flaky\"}", viewer) == 2
        && operator.metric("herologic_play_attempts_total{outcome=\"FlowFailed\",workflow=\"flaky\"}", viewer) == 2
        && operator.metric("herologic_play_attempts_total{outcome=\"Succeeded\",workflow=\"flaky\"}", viewer) == 1);
    assertEquals(1, operator.metric("herologic_plays_started_total{workflow=\"flaky\"}", viewer), "Plays, not attempts");

    List<String> reasons = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> eventReasons("lucky"),
        r -> r.stream().filter("Retrying"::equals).count() == 2 && r.contains("Succeeded"));
    assertEquals(3, reasons.stream().filter("Started"::equals).count(), "one Started per attempt: " + reasons);
  }

  @Test
  void aDeletedPodIsRetriedOnlyWhenThePolicySaysSoAndACancelledPlayNeverIs() {
    Flows.install(client, ns, "slow-first", SLOW_FIRST);
    Flows.play(client, ns, "lost-retried", "slow-first", null, s -> s.setRetry(new RetryPolicy(2, ONE_SECOND, List.of(RetryCause.PodLost))));
    Flows.play(client, ns, "lost-final", "slow-first", null, s -> s.setRetry(new RetryPolicy(2, ONE_SECOND, List.of(RetryCause.FlowFailed))));
    Flows.play(client, ns, "cancelled", "slow-first", null, s -> s.setRetry(new RetryPolicy(2, ONE_SECOND, null)));
    for (String name : List.of("lost-retried", "lost-final", "cancelled")) {
      Flows.awaitPlay(client, ns, name, Duration.ofSeconds(90), p -> p.getStatus().getPhase() == PlayPhase.Running);
    }
    for (String name : List.of("lost-retried", "lost-final")) {
      String pod = Flows.get(client, ns, name).getStatus().getPodName();
      client.pods().inNamespace(ns).withName(pod).delete();
    }
    client.resources(Play.class).inNamespace(ns).withName("cancelled").edit(p -> {
      p.getSpec().setCancel(true);
      return p;
    });

    Play retried = Flows.awaitPlay(client, ns, "lost-retried", Duration.ofSeconds(120), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, retried.getStatus().getPhase(), retried.getStatus().getMessage());
    assertEquals(2, retried.getStatus().getAttempts().size());
    assertEquals(RetryCause.PodLost, retried.getStatus().getAttempts().get(0).getCause());
    assertEquals(2, retried.getStatus().getOutput().get("attempt").asInt());

    Play notRetried = Flows.awaitFinal(client, ns, "lost-final");
    assertEquals(PlayPhase.Failed, notRetried.getStatus().getPhase());
    assertEquals(1, notRetried.getStatus().getAttempts().size(), "PodLost is not in its retryOn");
    assertEquals(RetryCause.PodLost, notRetried.getStatus().getAttempts().get(0).getCause());

    Play cancelled = Flows.awaitFinal(client, ns, "cancelled");
    assertEquals(PlayPhase.Cancelled, cancelled.getStatus().getPhase());
    sleep(3000); // three backoffs' worth: a retry would have started by now
    Play later = Flows.get(client, ns, "cancelled");
    assertEquals(PlayPhase.Cancelled, later.getStatus().getPhase());
    assertEquals(1, later.getStatus().getAttempts().size());
    assertEquals(PlayPhase.Cancelled, later.getStatus().getAttempts().get(0).getPhase());
    assertTrue(podsOf("cancelled").stream().noneMatch(p -> p.getMetadata().getName().equals(later.getStatus().getPodName() + "-2")),
        "no Pod for a second attempt");
    assertEquals(later.getStatus().getAttempts().get(0).getPodName(), later.getStatus().getPodName());
  }

  @Test
  void theBackoffIsReadFromStatusSoAnOperatorRestartKeepsIt() {
    Flows.install(client, ns, "flaky", FLAKY);
    Flows.play(client, ns, "patient", "flaky", null, s -> s.setRetry(new RetryPolicy(2, new RetryBackoff(15, 1, 15), null)));
    Play waiting = Flows.awaitPlay(client, ns, "patient", Duration.ofSeconds(90), p -> p.getStatus().getConditions().stream()
        .anyMatch(c -> "RetryBackoff".equals(c.getReason())));
    assertEquals(PlayPhase.Pending, waiting.getStatus().getPhase());
    assertTrue(waiting.getStatus().getMessage().startsWith("attempt 1 of 3 failed (RuntimeError: attempt 1 is not the lucky one); attempt 2 starts at "),
        waiting.getStatus().getMessage());
    OperatorProcess.running(cluster).restart(true, Map.of()); // the new process knows nothing but the API's state

    Play done = Flows.awaitPlay(client, ns, "patient", Duration.ofSeconds(180), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    List<PlayAttempt> attempts = done.getStatus().getAttempts();
    assertEquals(3, attempts.size());
    for (int i = 1; i < attempts.size(); i++) {
      Duration waited = Duration.between(java.time.Instant.parse(attempts.get(i - 1).getCompletionTime()), java.time.Instant.parse(attempts.get(i).getStartTime()));
      assertTrue(waited.compareTo(Duration.ofSeconds(14)) >= 0, "attempt " + (i + 1) + " started only " + waited + " after the one before: " + attempts);
    }
  }

  @Test
  void aPlayWithInvalidInputsIsNeverRetried() {
    Flows.install(client, ns, "typed", """
        from herologic import flow

        @flow(name="typed", inputs={"n": {"type": "integer"}})
        def typed(n):
            return n
        """, w -> w.setRetry(new RetryPolicy(3, ONE_SECOND, List.of(RetryCause.FlowFailed, RetryCause.PodLost, RetryCause.DeadlineExceeded))));
    Flows.play(client, ns, "bad", "typed", Map.of("n", "seven"));
    Play failed = Flows.awaitFinal(client, ns, "bad");
    assertEquals(PlayPhase.Failed, failed.getStatus().getPhase());
    assertEquals("InvalidInputs", failed.getStatus().getError().getType());
    assertTrue(failed.getStatus().getMessage().contains("n"), failed.getStatus().getMessage());
    sleep(3000);
    Play later = Flows.get(client, ns, "bad");
    assertEquals(PlayPhase.Failed, later.getStatus().getPhase());
    assertNull(later.getStatus().getAttempts(), "no attempt was made");
    assertTrue(client.pods().inNamespace(ns).list().getItems().isEmpty(), "and no Pod created");
  }

  private List<Pod> podsOf(String play) {
    return client.pods().inNamespace(ns).withLabel("herologic.io/play", play).list().getItems();
  }

  private List<String> eventReasons(String play) {
    return Flows.eventReasons(client, ns, play);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
