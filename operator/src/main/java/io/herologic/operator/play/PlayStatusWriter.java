package io.herologic.operator.play;

import io.herologic.model.Play;
import io.herologic.model.PlayAttempt;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.EventRecorder;
import io.herologic.operator.metrics.PlayMetrics;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.herologic.model.ErrorInfo;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes a Play's status and tells people and metrics what changed. The status is applied with
 * JOSDK's patch-and-cache helper (server-side apply of the whole status, guarded by the
 * resourceVersion the reconcile saw, the answer kept in the controller's cache), so the next
 * reconcile sees this write even before the informer does: no Event or metric is repeated from a
 * stale copy, and a finished Play can never move back. A failed write throws, and JOSDK retries
 * the reconcile with backoff until the status matches the Pod.
 *
 * <p>Events and metrics follow from the difference between the status before and after a write
 * that landed: Started when an attempt's start is first recorded (held a few seconds, so a short
 * Play's Started and Succeeded become one Event), Retrying when a failed attempt is
 * followed by another, Succeeded / Failed / Cancelled on entering a final phase, Waiting when the
 * Play starts waiting for something new (a Warning, PodForbidden, when the API server refuses its Pod).
 */
@ApplicationScoped
public class PlayStatusWriter {
  private final EventRecorder events;
  private final PlayMetrics metrics;

  public PlayStatusWriter(EventRecorder events, PlayMetrics metrics) {
    this.events = events;
    this.metrics = metrics;
  }

  /** Writes {@code status} unless it equals what the Play holds; returns the Play as written. */
  public Play write(Play play, PlayStatus status, Context<Play> context) {
    if (status.equals(play.getStatus())) {
      return play;
    }
    if (FinishedPlayStore.isTrimmed(play)) {
      // The apply sends the whole status: from a copy without its spans, it would delete them.
      throw new IllegalStateException("refusing to write the status of finished Play " + play.getMetadata().getNamespace()
          + "/" + play.getMetadata().getName() + " from the informer's trimmed copy (its spans are not in memory)");
    }
    Play fresh = new Play();
    fresh.getMetadata().setName(play.getMetadata().getName());
    fresh.getMetadata().setNamespace(play.getMetadata().getNamespace());
    fresh.setStatus(status);
    long start = System.nanoTime();
    Play written = PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(play, fresh, context);
    metrics.statusPatched(JsonSize.of(status), Duration.ofNanos(System.nanoTime() - start)); // the bytes: what the patch carries, near enough
    announce(play, play.getStatus(), status);
    return written;
  }

  private void announce(Play play, PlayStatus before, PlayStatus after) {
    PlayPhase was = before == null ? null : before.getPhase();
    PlayPhase now = after.getPhase();
    String workflow = play.getSpec().getWorkflow();
    int attempt = PlayStatuses.attemptNumber(after);
    // Started once per attempt, when its flow's start is recorded: on entering Running, or with the
    // final status of a flow that ended before the first write (then the two Events become one).
    if (PlayStatuses.attemptStart(after) != null && PlayStatuses.attemptStart(before) == null) {
      events.normalHeld(play, "Started", "flow " + after.getFlowName() + " (" + after.getWorkflowVersion() + ") started in Pod " + after.getPodName()
          + (attempt > 1 ? ", attempt " + attempt : ""));
      if (attempt == 1) {
        metrics.started(workflow); // Plays, not attempts: retries count in herologic_play_attempts_total
      }
    }
    endedAttempt(before, after).ifPresent(a -> metrics.attemptEnded(workflow, a.getCause() != null ? a.getCause().name() : a.getPhase().name()));
    boolean retrying = PlayConditions.RETRY_BACKOFF.equals(waitingReason(after));
    if (retrying && !PlayConditions.RETRY_BACKOFF.equals(waitingReason(before))) {
      events.warning(play, "Retrying", after.getMessage());
      PlayStatuses.currentAttempt(after).map(PlayAttempt::getCause).ifPresent(cause -> metrics.retried(workflow, cause.name()));
    }
    if (now != null && now.isFinal() && (was == null || !was.isFinal())) {
      String reason = Conditions.find(after.getConditions(), PlayConditions.COMPLETED).map(c -> c.getReason()).orElse(now.name());
      if (now == PlayPhase.Succeeded) {
        events.normal(play, "Succeeded", after.getMessage() + " in " + after.getDuration());
      } else {
        events.warning(play, reason, now == PlayPhase.Failed ? failure(after.getError(), after.getMessage()) : after.getMessage());
      }
      metrics.finished(play.getSpec().getWorkflow(), now, after.getDurationMs());
    }
    String waitingFor = waitingReason(after);
    if (now == PlayPhase.Pending && waitingFor != null && !retrying && !Objects.equals(waitingFor, waitingReason(before))) {
      if (PlayConditions.POD_FORBIDDEN.equals(waitingFor)) {
        events.warning(play, waitingFor, after.getMessage());
      } else {
        events.normal(play, "Waiting", after.getMessage());
      }
    }
  }

  /** The attempt this write ended, if it ended one. */
  private static Optional<PlayAttempt> endedAttempt(PlayStatus before, PlayStatus after) {
    Optional<PlayAttempt> now = PlayStatuses.currentAttempt(after).filter(a -> a.getCompletionTime() != null);
    boolean endedBefore = before != null && now.isPresent() && before.getAttempts() != null && before.getAttempts().stream()
        .anyMatch(a -> Objects.equals(a.getAttempt(), now.get().getAttempt()) && a.getCompletionTime() != null);
    return endedBefore ? Optional.empty() : now;
  }

  private static String waitingReason(PlayStatus status) {
    if (status == null) {
      return null;
    }
    return Conditions.find(status.getConditions(), PlayConditions.READY).filter(c -> "False".equals(c.getStatus()))
        .map(c -> c.getReason()).orElse(null);
  }

  private static String failure(ErrorInfo error, String message) {
    if (error == null) {
      return message;
    }
    String first = error.getMessage() == null ? "" : error.getMessage().lines().findFirst().orElse("");
    return error.getType() + ": " + first;
  }
}
