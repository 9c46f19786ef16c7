package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Pod;
import io.herologic.model.Play;
import io.herologic.model.RetryBackoff;
import io.herologic.model.RetryCause;
import io.herologic.model.RetryPolicy;
import io.herologic.model.Workflow;
import io.herologic.operator.kube.PodStates;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Whether a failed attempt runs again, and after how long: pure arithmetic on the retry policy, so
 * every rule is unit-tested. Only failures of an attempt that ran (or was meant to run) in a Pod
 * reach this class: a cancelled Play or one refused before its Pod (invalid inputs, a refused
 * Pod...) never asks.
 */
final class Retries {
  private Retries() {}

  /** A retry policy with every default filled in. */
  record Policy(int limit, long initialSeconds, long factor, long maxSeconds, Set<RetryCause> retryOn) {
    static final Policy NONE = new Policy(0, RetryBackoff.DEFAULT_INITIAL_SECONDS, RetryBackoff.DEFAULT_FACTOR,
        RetryBackoff.DEFAULT_MAX_SECONDS, EnumSet.copyOf(RetryPolicy.DEFAULT_RETRY_ON));

    /** How many attempts the Play may make in all. */
    int maxAttempts() {
      return limit + 1;
    }
  }

  /** The Play's own policy, else its Workflow's (as a whole, never merged field by field), else none. */
  static Policy effective(Play play, Optional<Workflow> workflow) {
    Optional<RetryPolicy> policy = Optional.ofNullable(play.getSpec().getRetry())
        .or(() -> workflow.map(w -> w.getSpec().getRetry()));
    return policy.map(Retries::filled).orElse(Policy.NONE);
  }

  private static Policy filled(RetryPolicy p) {
    RetryBackoff b = p.getBackoff() == null ? new RetryBackoff() : p.getBackoff();
    Set<RetryCause> on = p.getRetryOn() == null ? EnumSet.copyOf(RetryPolicy.DEFAULT_RETRY_ON)
        : p.getRetryOn().isEmpty() ? EnumSet.noneOf(RetryCause.class) : EnumSet.copyOf(p.getRetryOn());
    return new Policy(
        p.getLimit() == null ? 0 : p.getLimit(),
        b.getInitialSeconds() == null ? RetryBackoff.DEFAULT_INITIAL_SECONDS : b.getInitialSeconds(),
        b.getFactor() == null ? RetryBackoff.DEFAULT_FACTOR : b.getFactor(),
        b.getMaxSeconds() == null ? RetryBackoff.DEFAULT_MAX_SECONDS : b.getMaxSeconds(),
        on);
  }

  /** Whether attempt number {@code attempt} (1-based), which failed with {@code cause}, is followed by another. */
  static boolean retries(Policy policy, RetryCause cause, int attempt) {
    return policy.retryOn().contains(cause) && attempt < policy.maxAttempts();
  }

  /** The wait before retry {@code retry} (1 for the second attempt): min(max, initial * factor^(retry-1)), without overflow. */
  static Duration backoff(Policy policy, int retry) {
    long seconds = Math.min(policy.initialSeconds(), policy.maxSeconds());
    for (int i = 1; i < retry && seconds < policy.maxSeconds(); i++) {
      seconds = Math.min(policy.maxSeconds(), seconds * policy.factor());
    }
    return Duration.ofSeconds(seconds);
  }

  /**
   * How an attempt whose Pod ended failed. A Pod that was being deleted or was evicted was lost
   * (whatever its exit code says: the kubelet killed the flow); one past its deadline exceeded it;
   * anything else is the flow's own failure.
   */
  static RetryCause cause(PodStates.PodState state, Pod pod) {
    if (state.phase() == PodStates.Phase.DEADLINE_EXCEEDED) {
      return RetryCause.DeadlineExceeded;
    }
    boolean deleting = pod.getMetadata().getDeletionTimestamp() != null;
    boolean evicted = pod.getStatus() != null && "Evicted".equals(pod.getStatus().getReason());
    return deleting || evicted ? RetryCause.PodLost : RetryCause.FlowFailed;
  }
}
