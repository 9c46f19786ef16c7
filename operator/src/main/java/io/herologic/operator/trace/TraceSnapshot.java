package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.DroppedCounts;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Span;
import io.herologic.model.TokenCounts;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The trace in the shape of Play status: spans flat, parents before children (depth-first, siblings
 * by start time), each with its depth, all cut to {@link TraceLimits}. Token totals and span counts
 * are computed before anything is dropped, so they stay true when the list is cut.
 */
public record TraceSnapshot(
    List<Span> spans, int spanCount, TokenCounts tokens, DroppedCounts dropped, JsonNode output, ErrorInfo error,
    long violations, String firstViolation) {

  /** Nesting deeper than this is shown at this depth; it also stops a parent-id cycle from looping. */
  public static final int MAX_DEPTH = 32;

  /**
   * Cuts the spans to the status budget. {@code alreadyDropped} is what never reached {@code states}
   * (the runner's own counts, spans and bytes the assembler did not keep); {@code violations} and
   * {@code firstViolation} say how often the stream broke the protocol (flows/PROTOCOL.md).
   */
  static TraceSnapshot of(List<SpanState> states, TraceLimits limits, JsonNode output, ErrorInfo error,
      DroppedCounts alreadyDropped, long violations, String firstViolation) {
    long inputTokens = 0;
    long outputTokens = 0;
    long droppedLogs = alreadyDropped.getLogs();
    for (SpanState s : states) {
      inputTokens += s.tokens("input", limits.maxTokens());
      outputTokens += s.tokens("output", limits.maxTokens());
      droppedLogs += s.logsDropped;
    }
    Bounds.Cut droppedBytes = new Bounds.Cut();
    droppedBytes.bytes = alreadyDropped.getBytes();
    long droppedSpans = alreadyDropped.getSpans();

    List<Span> out = new ArrayList<>();
    long total = 0;
    for (Placed placed : depthFirst(states)) {
      if (out.size() >= limits.maxSpans()) {
        droppedSpans++;
        continue;
      }
      Span span = toSpan(placed.state(), placed.depth(), limits, droppedBytes);
      long size = Bounds.size((Object) span);
      if (total + size > limits.maxTotalSpanBytes()) {
        droppedSpans++;
        continue;
      }
      total += size;
      out.add(span);
    }
    // output and error were bounded when they arrived (SpanAssembler): nothing more to cut here
    long spanCount = Math.min(Integer.MAX_VALUE, states.size() + alreadyDropped.getSpans());
    return new TraceSnapshot(out, (int) spanCount,
        new TokenCounts(inputTokens, outputTokens, inputTokens + outputTokens),
        new DroppedCounts(droppedSpans, droppedLogs, droppedBytes.bytes), output, error, violations, firstViolation);
  }

  /** A span in display order, with its depth in the tree (at most {@link #MAX_DEPTH}). */
  record Placed(SpanState state, int depth) {}

  /**
   * Roots (no parent, or a parent never seen) first, then their children depth-first, siblings by
   * start time; spans caught in a parent cycle come last, the first one met at depth 0. The depth is
   * where the walk met a span, so a cycle (a hostile stream can make one) ends too.
   */
  static List<Placed> depthFirst(List<SpanState> states) {
    Map<String, SpanState> byId = new LinkedHashMap<>();
    states.forEach(s -> byId.put(s.id, s));
    Map<String, List<SpanState>> children = new HashMap<>();
    List<SpanState> roots = new ArrayList<>();
    for (SpanState s : states) {
      if (s.parentId == null || !byId.containsKey(s.parentId) || s.parentId.equals(s.id)) {
        roots.add(s);
      } else {
        children.computeIfAbsent(s.parentId, k -> new ArrayList<>()).add(s);
      }
    }
    Comparator<SpanState> byStart = Comparator.comparingDouble(s -> s.startTs == 0 ? Double.MAX_VALUE : s.startTs);
    roots.sort(byStart);
    children.values().forEach(list -> list.sort(byStart));
    List<Placed> ordered = new ArrayList<>(states.size());
    Set<String> visited = new HashSet<>();
    for (SpanState root : roots) {
      visit(root, children, visited, ordered);
    }
    for (SpanState s : states) { // in a cycle: no root leads there
      visit(s, children, visited, ordered);
    }
    return ordered;
  }

  private static void visit(SpanState start, Map<String, List<SpanState>> children, Set<String> visited, List<Placed> out) {
    // Iterative, so a deep or cyclic tree cannot overflow the stack.
    if (!visited.add(start.id)) {
      return;
    }
    out.add(new Placed(start, 0));
    List<Iterator<SpanState>> stack = new ArrayList<>();
    stack.add(children.getOrDefault(start.id, List.of()).iterator());
    while (!stack.isEmpty()) {
      Iterator<SpanState> it = stack.get(stack.size() - 1);
      if (!it.hasNext()) {
        stack.remove(stack.size() - 1);
        continue;
      }
      SpanState next = it.next();
      if (visited.add(next.id)) {
        out.add(new Placed(next, Math.min(stack.size(), MAX_DEPTH)));
        stack.add(children.getOrDefault(next.id, List.of()).iterator());
      }
    }
  }

  private static Span toSpan(SpanState s, int depth, TraceLimits limits, Bounds.Cut droppedBytes) {
    Span span = new Span();
    span.setId(s.id.isEmpty() ? null : s.id);
    span.setParentId(s.parentId);
    span.setName(s.name != null ? s.name : "(span " + s.id + " not started)");
    span.setKind(s.kind != null ? s.kind : "step");
    span.setStatus(s.status);
    span.setDepth(depth);
    if (s.startTs > 0) {
      span.setStartTime(rfc3339(s.startTs));
      if (s.endTs > 0) {
        span.setDurationMs(Math.max(0, Math.round((s.endTs - s.startTs) * 1000)));
      }
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

  static String rfc3339(double epochSeconds) {
    long micros = Math.round(epochSeconds * 1_000_000);
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS).truncatedTo(ChronoUnit.MILLIS).toString();
  }
}
