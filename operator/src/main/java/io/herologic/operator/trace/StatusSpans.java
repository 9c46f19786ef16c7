package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Span;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The status form of each span, cut to {@link TraceLimits#maxSpanBytes}, built once per change of its
 * state. The reconciler takes a snapshot up to a few times a second while a Play runs; rebuilding
 * (bounding tags, measuring the JSON) only the spans whose {@link SpanState#changes} moved keeps
 * that O(changed spans) instead of O(trace).
 *
 * <p>A built {@link Span} is handed out to status and read outside the assembler's lock, so it is
 * never changed once built: a span that changes gets a new one, and a new trace start (an earlier
 * span arrived) gets a copy with the new offset.
 *
 * <p>Memory: one built form per span state, a bounded copy of it, so no more than the state holds
 * ({@link TraceLimits#maxHeldBytes}); for the spans in status it is the very object status holds.
 * Once status holds {@link TraceLimits#maxSpans} spans, the rest are not built at all.
 */
final class StatusSpans {
  private static final String OFFSET_FIELD = ",\"startOffsetMs\":";

  private final TraceLimits limits;
  private long builds;

  StatusSpans(TraceLimits limits) {
    this.limits = limits;
  }

  /**
   * A span as built for status from one version of its state. {@code bytesWithoutOffset} is its
   * compact JSON size without {@code startOffsetMs}; {@code cutBytes} what bounding it left out.
   */
  record Built(long changes, long traceStartMs, Span span, long bytesWithoutOffset, long cutBytes) {
    /** The span's compact JSON size, as {@code Bounds.size(span)} would measure it. */
    long bytes() {
      Long offset = span.getStartOffsetMs();
      return bytesWithoutOffset + (offset == null ? 0 : OFFSET_FIELD.length() + Long.toString(offset).length());
    }
  }

  /** {@code s} in status form with its start counted from {@code traceStartMs}: the one built before if {@code s} has not changed since. */
  Built of(SpanState s, long traceStartMs) {
    Built b = s.built;
    if (b == null || b.changes() != s.changes) {
      b = build(s, traceStartMs);
    } else if (b.traceStartMs() != traceStartMs) {
      b = new Built(b.changes(), traceStartMs, withOffset(b.span(), offset(s, traceStartMs)), b.bytesWithoutOffset(), b.cutBytes());
    }
    s.built = b;
    return b;
  }

  /** How many spans were built from their state so far (not counting reuses and re-offsets): a test's view of the cost. */
  long builds() {
    return builds;
  }

  /** Unix seconds as whole milliseconds, truncated (the way RFC 3339 with milliseconds shows them). */
  static long epochMillis(double epochSeconds) {
    return Math.floorDiv(Math.round(epochSeconds * 1_000_000), 1000);
  }

  private static Long offset(SpanState s, long traceStartMs) {
    return s.startTs > 0 ? epochMillis(s.startTs) - traceStartMs : null;
  }

  private Built build(SpanState s, long traceStartMs) {
    builds++;
    Bounds.Cut cut = new Bounds.Cut();
    Span span = toSpan(s, cut);
    long bytesWithoutOffset = Bounds.size((Object) span);
    span.setStartOffsetMs(offset(s, traceStartMs)); // before it is handed out, never after
    return new Built(s.changes, traceStartMs, span, bytesWithoutOffset, cut.bytes);
  }

  /** A copy of {@code span} (its tags and logs shared: neither is changed once built) with another offset. */
  private static Span withOffset(Span span, Long offset) {
    Span copy = new Span();
    copy.setId(span.getId());
    copy.setParentId(span.getParentId());
    copy.setName(span.getName());
    copy.setKind(span.getKind());
    copy.setStatus(span.getStatus());
    copy.setStartOffsetMs(offset);
    copy.setDurationMs(span.getDurationMs());
    copy.setTags(span.getTags());
    copy.setLogs(span.getLogs());
    copy.setError(span.getError());
    return copy;
  }

  private Span toSpan(SpanState s, Bounds.Cut droppedBytes) {
    Span span = new Span();
    span.setId(s.id.isEmpty() ? null : s.id);
    span.setParentId(s.parentId);
    span.setName(s.name != null ? s.name : "(span " + s.id + " not started)");
    span.setKind(s.kind != null ? s.kind : "step");
    span.setStatus(s.status);
    if (s.startTs > 0 && s.endTs > 0) {
      span.setDurationMs(Math.max(0, Math.round((s.endTs - s.startTs) * 1000)));
    }
    int budget = limits.maxSpanBytes();
    // An llm span's tags hold the prompt and the reply (its logs are few): three quarters for them.
    int tagBudget = "llm".equals(s.kind) ? budget / 4 * 3 : budget / 2;
    if (s.tags != null) {
      span.setTags(boundTags(s.tags, tagBudget, droppedBytes));
    }
    List<String> logs = new ArrayList<>(s.headLogs);
    if (s.logsDropped > 0) {
      logs.add("… " + s.logsDropped + " log lines dropped …");
    }
    logs.addAll(s.tailLogs);
    if (!logs.isEmpty()) {
      int perLine = Math.max(256, (budget - tagBudget) / Math.max(1, logs.size()));
      span.setLogs(logs.stream().map(l -> Bounds.cut(l, perLine, droppedBytes)).toList());
    }
    if (s.error != null) {
      span.setError(new ErrorInfo(s.error.getType(), Bounds.cut(s.error.getMessage(), 1024, droppedBytes), Bounds.cut(s.error.getTraceback(), budget, droppedBytes)));
    }
    return span;
  }

  /**
   * The tags within {@code budget} bytes. When they do not all fit, the budget is shared fairly:
   * smallest first, each value takes what it needs up to an equal share of what is left, so the
   * small tags stay whole and the large ones (an LLM prompt and reply) share the rest instead of
   * being cut to the size of an equal split among all keys.
   */
  private static JsonNode boundTags(ObjectNode tags, int budget, Bounds.Cut droppedBytes) {
    if (Bounds.size((Object) tags) <= budget) {
      return tags.deepCopy(); // the assembler keeps merging into its own while this snapshot is read
    }
    List<Map.Entry<String, JsonNode>> bySize = new ArrayList<>();
    tags.fields().forEachRemaining(bySize::add);
    bySize.sort(Comparator.comparingLong(e -> Bounds.size((Object) e.getValue())));
    long left = budget;
    for (Map.Entry<String, JsonNode> e : bySize) {
      left -= Bounds.size(e.getKey()) + 4; // quotes, colon, comma
    }
    Map<String, Integer> caps = new HashMap<>();
    int remaining = bySize.size();
    for (Map.Entry<String, JsonNode> e : bySize) {
      long share = Math.max(64, Math.max(0, left) / remaining);
      long cap = Math.min(Bounds.size((Object) e.getValue()), share);
      caps.put(e.getKey(), (int) cap);
      left -= cap;
      remaining--;
    }
    ObjectNode bounded = JsonNodeFactory.instance.objectNode();
    tags.fields().forEachRemaining(e -> bounded.set(e.getKey(), Bounds.value(e.getValue(), caps.get(e.getKey()), droppedBytes)));
    return bounded;
  }
}
