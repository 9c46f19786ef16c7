package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.herologic.model.DroppedCounts;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.Span;
import io.herologic.model.TokenCounts;
import io.herologic.operator.play.PlayReconciler;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The shapes the UI and scripts read: a row of the plays list and the whole of one Play. Pure
 * functions of cached Plays; nothing here mutates the cache's objects.
 */
public final class PlayViews {
  private PlayViews() {}

  /** One row of the plays list. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PlaySummary(
      String namespace, String name, String workflow, String version, PlayPhase phase, String message,
      String created, String startTime, String completionTime, Long durationMs, String duration,
      Long tokens, Integer spanCount) {}

  /**
   * A page of the plays list, newest first. {@code namespaces} and {@code workflows} are the values
   * the filters can take (workflows within the chosen namespace), whatever the other filters are.
   */
  public record PlayList(List<PlaySummary> items, int total, boolean truncated, List<String> namespaces, List<String> workflows) {}

  /** Everything the play page shows. {@code finished} tells a poller to stop. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PlayDetail(
      String namespace, String name, String uid, String resourceVersion, String created,
      String workflow, String requestedVersion, String version, String digest, String flowName,
      PlayPhase phase, boolean finished, boolean cancelRequested, String message,
      String startTime, String completionTime, Long durationMs, String duration, TokenCounts tokens,
      String podName, String traceId, JsonNode inputs, JsonNode output, ErrorInfo error,
      List<Span> spans, Integer spanCount, DroppedCounts dropped, Condition traceTruncated, List<Condition> conditions) {}

  /** A Play the operator has not looked at yet has no phase: it is Pending. */
  public static PlayPhase phaseOf(Play play) {
    PlayPhase phase = play.getStatus() == null ? null : play.getStatus().getPhase();
    return phase == null ? PlayPhase.Pending : phase;
  }

  public static PlayList list(List<Play> plays, PlayQuery query) {
    TreeSet<String> namespaces = new TreeSet<>();
    TreeSet<String> workflows = new TreeSet<>();
    for (Play play : plays) {
      namespaces.add(play.getMetadata().getNamespace());
      if ((query.namespace() == null || query.namespace().equals(play.getMetadata().getNamespace())) && play.getSpec().getWorkflow() != null) {
        workflows.add(play.getSpec().getWorkflow());
      }
    }
    List<Play> matching = plays.stream().filter(query::matches).sorted(NEWEST_FIRST).toList();
    List<PlaySummary> page = matching.stream().limit(query.limit()).map(PlayViews::summary).toList();
    return new PlayList(page, matching.size(), matching.size() > page.size(), List.copyOf(namespaces), List.copyOf(workflows));
  }

  /** Newest first by creation time; then by namespace and name, so the order is stable. */
  static final Comparator<Play> NEWEST_FIRST = Comparator
      .comparing((Play p) -> created(p), Comparator.nullsLast(Comparator.reverseOrder()))
      .thenComparing(p -> p.getMetadata().getNamespace(), Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(p -> p.getMetadata().getName(), Comparator.nullsFirst(Comparator.naturalOrder()));

  private static Instant created(Play play) {
    String timestamp = play.getMetadata().getCreationTimestamp();
    if (timestamp == null) {
      return null;
    }
    try {
      return Instant.parse(timestamp);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  public static PlaySummary summary(Play play) {
    PlayStatus s = status(play);
    return new PlaySummary(play.getMetadata().getNamespace(), play.getMetadata().getName(), play.getSpec().getWorkflow(),
        versionOf(play), phaseOf(play), s.getMessage(), play.getMetadata().getCreationTimestamp(),
        s.getStartTime(), s.getCompletionTime(), s.getDurationMs(), s.getDuration(),
        s.getTokens() == null ? null : s.getTokens().getTotal(), s.getSpanCount());
  }

  public static PlayDetail detail(Play play) {
    PlayStatus s = status(play);
    PlayPhase phase = phaseOf(play);
    List<Condition> conditions = s.getConditions() == null ? List.of() : s.getConditions();
    Condition truncated = conditions.stream().filter(c -> PlayReconciler.TRACE_TRUNCATED.equals(c.getType())).findFirst().orElse(null);
    DroppedCounts dropped = s.getDropped() != null && s.getDropped().any() ? s.getDropped() : null;
    return new PlayDetail(play.getMetadata().getNamespace(), play.getMetadata().getName(), play.getMetadata().getUid(),
        play.getMetadata().getResourceVersion(), play.getMetadata().getCreationTimestamp(),
        play.getSpec().getWorkflow(), play.getSpec().getVersion(), versionOf(play), s.getDigest(), s.getFlowName(),
        phase, phase.isFinal(), play.getSpec().isCancelRequested(), s.getMessage(),
        s.getStartTime(), s.getCompletionTime(), s.getDurationMs(), s.getDuration(), s.getTokens(),
        s.getPodName(), s.getTraceId(), play.getSpec().getInputs(), s.getOutput(), s.getError(),
        s.getSpans() == null ? List.of() : s.getSpans(), s.getSpanCount(), dropped, truncated, conditions);
  }

  /** The version the Play runs once resolved, else the one it asked for (or none: the Workflow's current). */
  static String versionOf(Play play) {
    String resolved = status(play).getWorkflowVersion();
    return resolved != null ? resolved : play.getSpec().getVersion();
  }

  /** An entity tag that changes whenever the Play does: its uid and resourceVersion. */
  public static String etag(Play play) {
    return Objects.toString(play.getMetadata().getUid(), "") + "." + Objects.toString(play.getMetadata().getResourceVersion(), "");
  }

  private static PlayStatus status(Play play) {
    return play.getStatus() == null ? new PlayStatus() : play.getStatus();
  }
}
