package io.herologic.operator.play;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.trace.TraceSnapshot;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * How a Play's status changes, as pure functions on a copy of it: the reconciler decides which
 * applies, {@link PlayStatusWriter} writes the result. Nothing here calls the API server.
 */
final class PlayStatuses {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private PlayStatuses() {}

  /** A copy of the Play's status to change, stamped with the generation it is computed from. */
  static PlayStatus copyOf(Play play) {
    PlayStatus status = JSON.convertValue(play.getStatus(), PlayStatus.class);
    if (status.getConditions() == null) {
      status.setConditions(new ArrayList<>());
    }
    status.setObservedGeneration(play.getMetadata().getGeneration());
    return status;
  }

  static void waiting(PlayStatus status, String reason, String message) {
    status.setPhase(PlayPhase.Pending);
    status.setMessage(message);
    Conditions.set(status.getConditions(), PlayConditions.READY, false, reason, message, status.getObservedGeneration());
  }

  /** Resolved and launched: the exact version, its digest, the trace id and the Pod are fixed from now on. */
  static void launched(PlayStatus status, WorkflowVersion version, String traceId, String pod) {
    status.setPhase(PlayPhase.Pending);
    status.setWorkflowVersion(version.getMetadata().getName());
    status.setDigest(version.getStatus().getDigest());
    status.setFlowName(version.getStatus().getFlowName());
    status.setTraceId(traceId);
    status.setPodName(pod);
    status.setMessage("Pod " + pod + " created");
    Conditions.set(status.getConditions(), PlayConditions.READY, true, "PodCreated",
        "runs " + version.getMetadata().getName() + " (" + version.getStatus().getDigest() + ") in Pod " + pod, status.getObservedGeneration());
  }

  static String newTraceId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  static void stuck(PlayStatus status, String message) {
    status.setPhase(PlayPhase.Pending);
    status.setMessage(message);
  }

  static void running(PlayStatus status, String pod, String startedAt) {
    if (status.getStartTime() == null) {
      status.setStartTime(startedAt);
    }
    status.setPhase(PlayPhase.Running);
    status.setMessage("running in Pod " + pod);
    Conditions.set(status.getConditions(), PlayConditions.RUNNING, true, "PodRunning", "the flow is running", status.getObservedGeneration());
    setDuration(status, Instant.now());
  }

  /** The trace read from the log so far. An empty trace (nothing read yet) never erases what status holds. */
  static void applyTrace(PlayStatus status, TraceSnapshot trace) {
    if (!trace.spans().isEmpty()) {
      status.setSpans(trace.spans());
      status.setSpanCount(trace.spanCount());
    }
    if (trace.tokens().getTotal() > 0) {
      status.setTokens(trace.tokens());
    }
    if (trace.output() != null) {
      status.setOutput(trace.output());
    }
    if (trace.error() != null) {
      status.setError(trace.error());
    }
    if (trace.dropped().any()) {
      status.setDropped(trace.dropped());
      Conditions.set(status.getConditions(), PlayConditions.TRACE_TRUNCATED, true, "BudgetExceeded",
          "left out " + trace.dropped().getSpans() + " spans, " + trace.dropped().getLogs() + " log lines and "
              + trace.dropped().getBytes() + " bytes to stay within the status budget", null);
    }
    violations(status, trace);
  }

  /** Same wording as the Python reader (flows/herologic/assemble.py), so local runs and the cluster agree. */
  private static void violations(PlayStatus status, TraceSnapshot trace) {
    if (trace.violations() > 0) {
      Conditions.set(status.getConditions(), PlayConditions.EVENT_STREAM_VIOLATIONS, true, "ProtocolViolations",
          trace.violations() + " protocol violations in the event stream; the first: " + trace.firstViolation(), null);
    }
  }

  static void traceIncomplete(PlayStatus status, String problem) {
    Conditions.set(status.getConditions(), PlayConditions.TRACE_INCOMPLETE, true, "LogUnavailable", problem, status.getObservedGeneration());
  }

  /** Ends the Play. Its conditions then describe the end: Completed with the reason, no Running, no "Ready: PodCreated". */
  static void finish(PlayStatus status, PlayPhase phase, String reason, String message, Instant at) {
    status.setPhase(phase);
    status.setMessage(message);
    status.setCompletionTime(at.truncatedTo(ChronoUnit.MILLIS).toString());
    setDuration(status, at);
    rootSpanDuration(status).ifPresent(ms -> {
      // The runner's clock measures the flow to the microsecond; Pod times have whole seconds.
      status.setDurationMs(ms);
      status.setDuration(human(ms));
    });
    Conditions.remove(status.getConditions(), PlayConditions.RUNNING);
    if (Conditions.isTrue(status.getConditions(), PlayConditions.READY)) {
      Conditions.remove(status.getConditions(), PlayConditions.READY);
    }
    Conditions.set(status.getConditions(), PlayConditions.COMPLETED, true, reason, message, status.getObservedGeneration());
  }

  /**
   * Fails the Play with {@code reason} as its error (unless the flow reported one); {@code refused}: it never ran.
   * {@code pinned}: the version a refused Play resolved to, shown although no Pod ran.
   */
  static void fail(PlayStatus status, String reason, String message, boolean refused, Optional<WorkflowVersion> pinned) {
    pinned.ifPresent(version -> {
      status.setWorkflowVersion(version.getMetadata().getName());
      status.setDigest(version.getStatus().getDigest());
      status.setFlowName(version.getStatus().getFlowName());
    });
    if (status.getError() == null) {
      status.setError(new ErrorInfo(reason, message, null));
    }
    if (refused) {
      Conditions.set(status.getConditions(), PlayConditions.READY, false, reason, message, status.getObservedGeneration());
    }
    finish(status, PlayPhase.Failed, reason, message, Instant.now()); // keeps a False Ready: the refusal stays visible
  }

  private static Optional<Long> rootSpanDuration(PlayStatus status) {
    if (status.getSpans() == null || status.getSpans().isEmpty()) {
      return Optional.empty();
    }
    var root = status.getSpans().get(0);
    return root.getDepth() != null && root.getDepth() == 0 ? Optional.ofNullable(root.getDurationMs()) : Optional.empty();
  }

  private static void setDuration(PlayStatus status, Instant until) {
    if (status.getStartTime() == null) {
      return;
    }
    long ms = Math.max(0, Duration.between(Instant.parse(status.getStartTime()), until).toMillis());
    // While running, only whole seconds: a status patch per tick just to move milliseconds is waste.
    if (status.getCompletionTime() == null) {
      ms = ms / 1000 * 1000;
    }
    status.setDurationMs(ms);
    status.setDuration(human(ms));
  }

  static String human(long ms) {
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    return s < 3600 ? (s / 60) + "m" + (s % 60) + "s" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
  }
}
