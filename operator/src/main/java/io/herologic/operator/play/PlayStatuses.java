package io.herologic.operator.play;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Play;
import io.herologic.model.PlayAttempt;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.RetryCause;
import io.herologic.model.Span;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.trace.TraceSnapshot;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
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
  static void launched(PlayStatus status, Launch launch, String pod) {
    status.setPhase(PlayPhase.Pending);
    status.setWorkflowVersion(launch.workflowVersion());
    status.setDigest(launch.digest());
    status.setFlowName(launch.flowName());
    status.setTraceId(launch.traceId());
    status.setPodName(pod);
    status.setMessage("Pod " + pod + " created");
    Conditions.set(status.getConditions(), PlayConditions.READY, true, "PodCreated",
        "runs " + launch.workflowVersion() + " (" + launch.digest() + ") in Pod " + pod, status.getObservedGeneration());
    status.setAttempt(1);
    status.setAttempts(new ArrayList<>(List.of(new PlayAttempt(1, pod, null, null, PlayPhase.Pending, null, null, null))));
  }

  /**
   * The previous attempt failed and its backoff has passed: a new attempt in Pod {@code pod}. The
   * trace, output and error start afresh (the failed attempt's are summed up in its attempts entry);
   * startTime stays the Play's first start.
   */
  static void nextAttempt(PlayStatus status, String pod) {
    int attempt = attemptNumber(status) + 1;
    status.setAttempt(attempt);
    status.setPodName(pod);
    List<PlayAttempt> attempts = status.getAttempts() == null ? new ArrayList<>() : new ArrayList<>(status.getAttempts());
    attempts.add(new PlayAttempt(attempt, pod, null, null, PlayPhase.Pending, null, null, null));
    status.setAttempts(attempts);
    status.setSpans(null);
    status.setTraceStartTime(null);
    status.setSpanCount(null);
    status.setOutput(null);
    status.setError(null);
    status.setTokens(null);
    status.setDropped(null);
    status.setLastEventSeq(null);
    for (String traceCondition : List.of(PlayConditions.TRACE_TRUNCATED, PlayConditions.EVENT_STREAM_VIOLATIONS, PlayConditions.TRACE_INCOMPLETE)) {
      Conditions.remove(status.getConditions(), traceCondition);
    }
    status.setPhase(PlayPhase.Pending);
    status.setMessage("attempt " + attempt + ": Pod " + pod + " created");
    Conditions.set(status.getConditions(), PlayConditions.READY, true, "PodCreated",
        "runs " + status.getWorkflowVersion() + " (" + status.getDigest() + ") in Pod " + pod + ", attempt " + attempt, status.getObservedGeneration());
  }

  /** The attempt running or last run (1 for Plays started before attempts were recorded). */
  static int attemptNumber(PlayStatus status) {
    return status.getAttempt() == null ? 1 : status.getAttempt();
  }

  /** The entry of the attempt in status.podName, if the status records attempts. */
  static Optional<PlayAttempt> currentAttempt(PlayStatus status) {
    if (status.getAttempts() == null || status.getAttempts().isEmpty()) {
      return Optional.empty();
    }
    PlayAttempt last = status.getAttempts().get(status.getAttempts().size() - 1);
    return last.getPodName() != null && last.getPodName().equals(status.getPodName()) ? Optional.of(last) : Optional.empty();
  }

  /** The current attempt failed and another follows once its backoff has passed. */
  static boolean awaitingRetry(PlayStatus status) {
    return currentAttempt(status).filter(a -> a.getCompletionTime() != null && a.getPhase() == PlayPhase.Failed).isPresent();
  }

  /** When the next attempt may start: the failed attempt's end plus its backoff. Derived from status, so it survives restarts. */
  static Instant nextAttemptAt(PlayStatus status, Retries.Policy policy) {
    PlayAttempt failed = currentAttempt(status).orElseThrow();
    return Instant.parse(failed.getCompletionTime()).plus(Retries.backoff(policy, failed.getAttempt()));
  }

  /**
   * The current attempt failed with {@code cause} at {@code at}, and another follows at {@code next}:
   * the Play goes back to Pending (it keeps its place among the running Plays of its Workflow).
   */
  static void retryScheduled(PlayStatus status, RetryCause cause, Instant at, Instant next, int maxAttempts) {
    closeAttempt(status, PlayPhase.Failed, cause, at);
    int attempt = attemptNumber(status);
    ErrorInfo error = status.getError();
    String why = error == null ? cause.name() : error.getType() + ": " + firstLine(error.getMessage());
    String message = "attempt " + attempt + " of " + maxAttempts + " failed (" + why + "); attempt " + (attempt + 1)
        + " starts at " + next.truncatedTo(ChronoUnit.SECONDS);
    status.setPhase(PlayPhase.Pending);
    status.setMessage(message);
    Conditions.remove(status.getConditions(), PlayConditions.RUNNING);
    Conditions.set(status.getConditions(), PlayConditions.READY, false, PlayConditions.RETRY_BACKOFF, message, status.getObservedGeneration());
  }

  /** Ends the current attempt (once): its end, phase, and for a failure the cause and the error's first line. */
  static void closeAttempt(PlayStatus status, PlayPhase phase, RetryCause cause, Instant at) {
    currentAttempt(status).filter(a -> a.getCompletionTime() == null).ifPresent(a -> {
      a.setCompletionTime(at.truncatedTo(ChronoUnit.MILLIS).toString());
      a.setPhase(phase);
      if (phase == PlayPhase.Failed) {
        a.setCause(cause);
        if (status.getError() != null) {
          a.setErrorType(status.getError().getType());
          a.setErrorMessage(cut(firstLine(status.getError().getMessage()), ATTEMPT_MESSAGE_CHARS));
        }
      }
    });
  }

  /** An attempt's error message is one line for people; the traceback of the last attempt stays in status.error. */
  private static final int ATTEMPT_MESSAGE_CHARS = 256;

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "...";
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
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

  /** The flow's container started at {@code startedAt}: the Play's first start and the attempt's start, each recorded once. */
  static void started(PlayStatus status, String startedAt) {
    if (status.getStartTime() == null) {
      status.setStartTime(startedAt);
    }
    currentAttempt(status).filter(a -> a.getStartTime() == null).ifPresent(a -> a.setStartTime(startedAt));
  }

  /** When the current attempt's flow started (the Play's start for a status without attempts); null before it did. */
  static String attemptStart(PlayStatus status) {
    if (status == null) {
      return null;
    }
    return currentAttempt(status).map(PlayAttempt::getStartTime).orElse(status.getAttempts() == null ? status.getStartTime() : null);
  }

  static void running(PlayStatus status, String pod, String startedAt) {
    started(status, startedAt);
    currentAttempt(status).filter(a -> a.getPhase() == PlayPhase.Pending).ifPresent(a -> a.setPhase(PlayPhase.Running));
    status.setPhase(PlayPhase.Running);
    status.setMessage("running in Pod " + pod + (attemptNumber(status) > 1 ? ", attempt " + attemptNumber(status) : ""));
    Conditions.set(status.getConditions(), PlayConditions.RUNNING, true, "PodRunning", "the flow is running", status.getObservedGeneration());
    setDuration(status, Instant.now());
  }

  /** The trace read from the log so far. An empty trace (nothing read yet) never erases what status holds. */
  static void applyTrace(PlayStatus status, TraceSnapshot trace) {
    if (!trace.spans().isEmpty()) {
      status.setSpans(withAttempt(trace.spans(), status.getAttempt()));
      status.setTraceStartTime(trace.traceStartTime());
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

  /** Tag on the flow's root span naming the attempt the tree shows. */
  static final String ATTEMPT_TAG = "herologic.play.attempt";

  /** The spans with the root's tags saying which attempt they are (on a copy: the follower owns the originals). */
  private static List<Span> withAttempt(List<Span> spans, Integer attempt) {
    Span root = spans.get(0);
    if (attempt == null) { // the first span is always at depth 0: the list is parents first
      return spans;
    }
    Span tagged = JSON.convertValue(root, Span.class);
    ObjectNode tags = tagged.getTags() instanceof ObjectNode o ? o : JSON.createObjectNode();
    tags.put(ATTEMPT_TAG, attempt);
    tagged.setTags(tags);
    List<Span> copy = new ArrayList<>(spans);
    copy.set(0, tagged);
    return copy;
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
    closeAttempt(status, phase, null, at);
    setDuration(status, at);
    // After retries the Play's duration spans every attempt, not just the last one's flow.
    rootSpanDuration(status).filter(ms -> attemptNumber(status) == 1).ifPresent(ms -> {
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
    return Optional.ofNullable(root.getDurationMs()); // the first span is always at depth 0: the list is parents first
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
