package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.herologic.model.DroppedCounts;
import io.herologic.model.ErrorInfo;
import io.herologic.model.FlowInput;
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
import java.util.Optional;
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
  public record PlayList(List<PlaySummary> items, int total, boolean truncated, List<String> namespaces, List<String> workflows,
      int offset, int limit) {}

  /** Everything the play page shows. {@code finished} tells a poller to stop. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PlayDetail(
      String namespace, String name, String uid, String resourceVersion, String created,
      String workflow, String requestedVersion, String version, String digest, String flowName,
      PlayPhase phase, boolean finished, boolean cancelRequested, String message,
      String startTime, String completionTime, Long durationMs, String duration, TokenCounts tokens,
      String podName, String traceId, JsonNode inputs, JsonNode output, ErrorInfo error,
      List<Span> spans, String traceStartTime, Integer spanCount, DroppedCounts dropped, Condition traceTruncated, List<Condition> conditions,
      PlayCosts.Cost cost, PlayLink parent, List<PlayLink> children, List<FlowInput> declaredInputs) {}

  /** Another Play, to link to: a parent or a child. {@code phase} is absent for a parent the caches do not hold. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PlayLink(String namespace, String name, PlayPhase phase) {
    static PlayLink of(Play play) {
      return new PlayLink(play.getMetadata().getNamespace(), play.getMetadata().getName(), phaseOf(play));
    }
  }

  /**
   * What a Play's page shows beyond the Play itself: the Play that started it, those it started
   * (newest first), and the inputs its version declares (null when the viewer may not read versions).
   */
  public record Relatives(PlayLink parent, List<PlayLink> children, List<FlowInput> declaredInputs) {
    public static final Relatives NONE = new Relatives(null, List.of(), null);
  }

  /** The label the SDK puts on a child Play (flows/herologic/plays.py), beside an owner reference to the parent. */
  static final String PARENT_LABEL = "herologic.io/parent-play";

  /** The parent's name: the owner reference to a Play, else the SDK's label. */
  static Optional<String> parentName(Play play) {
    var owners = play.getMetadata().getOwnerReferences();
    if (owners != null) {
      for (var owner : owners) {
        if ("Play".equals(owner.getKind()) && owner.getApiVersion() != null && owner.getApiVersion().startsWith(UiResource.GROUP + "/")) {
          return Optional.of(owner.getName());
        }
      }
    }
    var labels = play.getMetadata().getLabels();
    return Optional.ofNullable(labels == null ? null : labels.get(PARENT_LABEL)).filter(n -> !n.isBlank());
  }

  /** The Plays among {@code namespacePlays} that {@code play} started, newest first. */
  static List<PlayLink> childrenOf(Play play, List<Play> namespacePlays) {
    String uid = play.getMetadata().getUid();
    String name = play.getMetadata().getName();
    return namespacePlays.stream().filter(p -> p != play && isChildOf(p, uid, name)).sorted(NEWEST_FIRST).map(PlayLink::of).toList();
  }

  /** By the owner reference's uid when there is one (a same-named earlier parent is another Play), else by the label. */
  private static boolean isChildOf(Play candidate, String uid, String name) {
    var owners = candidate.getMetadata().getOwnerReferences();
    var playOwner = owners == null ? Optional.<io.fabric8.kubernetes.api.model.OwnerReference>empty()
        : owners.stream().filter(o -> "Play".equals(o.getKind())).findFirst();
    if (playOwner.isPresent()) {
      return uid != null && uid.equals(playOwner.get().getUid());
    }
    var labels = candidate.getMetadata().getLabels();
    return labels != null && name.equals(labels.get(PARENT_LABEL));
  }

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
    List<Play> matching = newestFirst(plays.stream().filter(query::matches));
    List<PlaySummary> page = matching.stream().skip(query.offset()).limit(query.limit()).map(PlayViews::summary).toList();
    return new PlayList(page, matching.size(), matching.size() > query.offset() + page.size(), List.copyOf(namespaces), List.copyOf(workflows),
        query.offset(), query.limit());
  }

  private record Dated(Play play, Instant created) {}

  /** The Plays in {@link #NEWEST_FIRST} order, each creation time parsed once rather than at every comparison. */
  static List<Play> newestFirst(java.util.stream.Stream<Play> plays) {
    return plays.map(p -> new Dated(p, created(p)))
        .sorted(Comparator.comparing(Dated::created, Comparator.nullsLast(Comparator.reverseOrder()))
            .thenComparing(d -> d.play().getMetadata().getNamespace(), Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(d -> d.play().getMetadata().getName(), Comparator.nullsFirst(Comparator.naturalOrder())))
        .map(Dated::play).toList();
  }

  /** Newest first by creation time; then by namespace and name, so the order is stable. */
  static final Comparator<Play> NEWEST_FIRST = Comparator
      .comparing((Play p) -> created(p), Comparator.nullsLast(Comparator.reverseOrder()))
      .thenComparing(p -> p.getMetadata().getNamespace(), Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparing(p -> p.getMetadata().getName(), Comparator.nullsFirst(Comparator.naturalOrder()));

  static Instant created(Play play) {
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

  public static PlayDetail detail(Play play, PriceTable prices) {
    return detail(play, prices, Relatives.NONE);
  }

  public static PlayDetail detail(Play play, PriceTable prices, Relatives relatives) {
    PlayStatus s = status(play);
    List<Span> spans = s.getSpans() == null ? List.of() : s.getSpans();
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
        spans, s.getTraceStartTime(), s.getSpanCount(), dropped, truncated, conditions, PlayCosts.of(spans, prices),
        relatives.parent(), relatives.children(), relatives.declaredInputs());
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
