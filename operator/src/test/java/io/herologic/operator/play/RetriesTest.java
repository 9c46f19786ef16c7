package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.herologic.model.Play;
import io.herologic.model.RetryBackoff;
import io.herologic.model.RetryCause;
import io.herologic.model.RetryPolicy;
import io.herologic.model.Workflow;
import io.herologic.operator.kube.PodStates;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetriesTest {
  private static Retries.Policy policy(int limit, int initial, int factor, int max) {
    return new Retries.Policy(limit, initial, factor, max, EnumSet.of(RetryCause.FlowFailed, RetryCause.PodLost));
  }

  @Test
  void backoffGrowsByTheFactorAndStopsAtTheMaximum() {
    Retries.Policy p = policy(10, 10, 2, 300);
    assertEquals(Duration.ofSeconds(10), Retries.backoff(p, 1));
    assertEquals(Duration.ofSeconds(20), Retries.backoff(p, 2));
    assertEquals(Duration.ofSeconds(40), Retries.backoff(p, 3));
    assertEquals(Duration.ofSeconds(160), Retries.backoff(p, 5));
    assertEquals(Duration.ofSeconds(300), Retries.backoff(p, 6), "320 is capped at 300");
    assertEquals(Duration.ofSeconds(300), Retries.backoff(p, 50));
  }

  @Test
  void backoffNeverOverflowsAndAnInitialAboveTheMaximumIsCapped() {
    assertEquals(Duration.ofSeconds(86400), Retries.backoff(policy(50, 86400, 10, 86400), 50));
    assertEquals(Duration.ofSeconds(5), Retries.backoff(policy(3, 60, 2, 5), 1));
    assertEquals(Duration.ofSeconds(3), Retries.backoff(policy(3, 3, 1, 300), 4), "factor 1 keeps the wait constant");
    assertEquals(Duration.ZERO, Retries.backoff(policy(3, 0, 2, 300), 3));
  }

  @Test
  void retriesOnlyListedCausesAndOnlyWithinTheLimit() {
    Retries.Policy p = policy(2, 1, 2, 10); // three attempts in all
    assertTrue(Retries.retries(p, RetryCause.FlowFailed, 1));
    assertTrue(Retries.retries(p, RetryCause.PodLost, 2));
    assertFalse(Retries.retries(p, RetryCause.FlowFailed, 3), "the third attempt was the last");
    assertFalse(Retries.retries(p, RetryCause.DeadlineExceeded, 1), "not listed");
    assertFalse(Retries.retries(Retries.Policy.NONE, RetryCause.FlowFailed, 1), "no policy: one attempt");
  }

  @Test
  void thePlaysPolicyReplacesTheWorkflowsAsAWholeAndDefaultsFillTheRest() {
    Workflow workflow = new Workflow();
    workflow.getSpec().setRetry(new RetryPolicy(5, new RetryBackoff(1, 3, 100), List.of(RetryCause.DeadlineExceeded)));
    Play play = new Play();
    assertEquals(new Retries.Policy(5, 1, 3, 100, EnumSet.of(RetryCause.DeadlineExceeded)), Retries.effective(play, Optional.of(workflow)));

    play.getSpec().setRetry(new RetryPolicy(2, null, null));
    assertEquals(new Retries.Policy(2, 10, 2, 300, EnumSet.of(RetryCause.FlowFailed, RetryCause.PodLost)),
        Retries.effective(play, Optional.of(workflow)), "nothing of the Workflow's policy leaks into the Play's");

    play.getSpec().setRetry(new RetryPolicy(2, null, List.of()));
    assertFalse(Retries.retries(Retries.effective(play, Optional.empty()), RetryCause.FlowFailed, 1), "retryOn: [] retries nothing");
    assertEquals(Retries.Policy.NONE, Retries.effective(new Play(), Optional.empty()));
  }

  @Test
  void aDeletedOrEvictedPodWasLostAndADeadlineIsItsOwnCause() {
    Pod failed = new PodBuilder().withNewMetadata().withName("p").endMetadata().withNewStatus().withPhase("Failed").endStatus().build();
    PodStates.PodState failedState = new PodStates.PodState(PodStates.Phase.FAILED, "exit 1", 1, null, null);
    assertEquals(RetryCause.FlowFailed, Retries.cause(failedState, failed));

    Pod deleting = new PodBuilder(failed).editMetadata().withDeletionTimestamp("2026-12-01T00:00:00Z").endMetadata().build();
    assertEquals(RetryCause.PodLost, Retries.cause(new PodStates.PodState(PodStates.Phase.FAILED, "killed", 137, null, null), deleting));

    Pod evicted = new PodBuilder(failed).editStatus().withReason("Evicted").endStatus().build();
    assertEquals(RetryCause.PodLost, Retries.cause(failedState, evicted));

    PodStates.PodState deadline = new PodStates.PodState(PodStates.Phase.DEADLINE_EXCEEDED, "deadline", 137, null, null);
    assertEquals(RetryCause.DeadlineExceeded, Retries.cause(deadline, failed));
  }
}
