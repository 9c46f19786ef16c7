package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.model.ErrorInfo;
import io.herologic.model.Play;
import io.herologic.model.PlayAttempt;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.RetryCause;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.kube.Conditions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The attempts a Play's status records, as pure transitions (no cluster). */
class PlayAttemptsTest {
  private static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");

  private static PlayStatus launched() {
    Play play = new Play();
    play.getMetadata().setName("flaky");
    play.getMetadata().setUid("0f1e2d3c-0000-0000-0000-000000000000");
    PlayStatus status = PlayStatuses.copyOf(play);
    WorkflowVersion version = new WorkflowVersion();
    version.getMetadata().setName("flaky-v1");
    version.getStatus().setDigest("sha256:abc");
    version.getStatus().setFlowName("flaky");
    PlayStatuses.launched(status, Launch.of(version, "0".repeat(32)), PlayNames.pod(play, 1));
    return status;
  }

  @Test
  void aFailedAttemptIsRecordedAndTheNextStartsAfreshInANewPod() {
    PlayStatus status = launched();
    assertEquals(1, status.getAttempt());
    PlayStatuses.running(status, "flaky-0f1e2", T0.toString());
    status.setError(new ErrorInfo("ValueError", "not yet\nsecond line", "Traceback..."));
    status.setOutput(null);
    PlayStatuses.retryScheduled(status, RetryCause.FlowFailed, T0.plusSeconds(5), T0.plusSeconds(6), 3);

    assertEquals(PlayPhase.Pending, status.getPhase());
    assertTrue(PlayStatuses.awaitingRetry(status));
    assertEquals("attempt 1 of 3 failed (ValueError: not yet); attempt 2 starts at 2026-12-01T02:00:06Z", status.getMessage());
    assertEquals(PlayConditions.RETRY_BACKOFF, Conditions.find(status.getConditions(), PlayConditions.READY).orElseThrow().getReason());
    PlayAttempt first = status.getAttempts().get(0);
    assertEquals(new PlayAttempt(1, "flaky-0f1e2", T0.toString(), "2026-12-01T02:00:05Z", PlayPhase.Failed, RetryCause.FlowFailed,
        "ValueError", "not yet"), first);

    Retries.Policy policy = new Retries.Policy(2, 7, 2, 300, EnumSet.of(RetryCause.FlowFailed));
    assertEquals(T0.plusSeconds(5 + 7), PlayStatuses.nextAttemptAt(status, policy), "backoff counts from the attempt's end, as status recorded it");

    PlayStatuses.nextAttempt(status, "flaky-0f1e2-2");
    assertEquals(2, status.getAttempt());
    assertEquals("flaky-0f1e2-2", status.getPodName());
    assertFalse(PlayStatuses.awaitingRetry(status));
    assertNull(status.getError(), "the new attempt's trace starts afresh");
    assertEquals(List.of(1, 2), status.getAttempts().stream().map(PlayAttempt::getAttempt).toList());
    assertEquals(T0.toString(), status.getAttempts().get(0).getStartTime(), "earlier attempts are kept as they were");
    assertTrue(Conditions.isTrue(status.getConditions(), PlayConditions.READY));
  }

  @Test
  void finishingClosesTheCurrentAttemptOnceAndKeepsTheDurationOfAllAttempts() {
    PlayStatus status = launched();
    PlayStatuses.running(status, "p", T0.toString());
    PlayStatuses.retryScheduled(status, RetryCause.PodLost, T0.plusSeconds(10), T0.plusSeconds(11), 2);
    PlayStatuses.nextAttempt(status, "flaky-0f1e2-2");
    PlayStatuses.running(status, "flaky-0f1e2-2", T0.plusSeconds(20).toString());
    PlayStatuses.finish(status, PlayPhase.Succeeded, "Succeeded", "ok", T0.plusSeconds(30));

    PlayAttempt second = status.getAttempts().get(1);
    assertEquals(PlayPhase.Succeeded, second.getPhase());
    assertEquals("2026-12-01T02:00:30Z", second.getCompletionTime());
    assertNull(second.getCause());
    assertEquals(RetryCause.PodLost, status.getAttempts().get(0).getCause());
    assertEquals(30_000L, status.getDurationMs(), "from the first attempt's start to the end of the last");
  }

  @Test
  void theRootSpanSaysWhichAttemptTheTreeShows() {
    PlayStatus status = launched();
    PlayStatuses.nextAttempt(status, "p-2");
    var root = new io.herologic.model.Span();
    root.setName("flaky");
    var trace = new io.herologic.operator.trace.TraceSnapshot(List.of(root), null, 1, new io.herologic.model.TokenCounts(),
        new io.herologic.model.DroppedCounts(), null, null, 0, null);
    PlayStatuses.applyTrace(status, trace);
    assertEquals(2, status.getSpans().get(0).getTags().get(PlayStatuses.ATTEMPT_TAG).asInt());
    assertNull(root.getTags(), "the follower's own span is not changed");
  }
}
