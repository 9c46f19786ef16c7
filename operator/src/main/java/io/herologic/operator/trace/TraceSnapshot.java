package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import io.herologic.model.DroppedCounts;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Span;
import io.herologic.model.TokenCounts;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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
 * by start time), each start counted from {@code traceStartTime}, all cut to {@link TraceLimits}.
 * Readers derive a span's depth from the order (its parent's depth + 1). Token totals and span
 * counts are computed before anything is dropped, so they stay true when the list is cut.
 */
public record TraceSnapshot(
    List<Span> spans, String traceStartTime, int spanCount, TokenCounts tokens, DroppedCounts dropped, JsonNode output,
    ErrorInfo error, long violations, String firstViolation) {

  /** Readers that derive depth from the order show nesting deeper than this at this depth. */
  public static final int MAX_DEPTH = 32;

  /** RFC 3339 in UTC, always with three digits of milliseconds (Instant.toString drops them when zero). */
  private static final DateTimeFormatter RFC3339_MILLIS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /**
   * Cuts the spans to the status budget. {@code alreadyDropped} is what never reached {@code states}
   * (the runner's own counts, spans and bytes the assembler did not keep); {@code violations} and
   * {@code firstViolation} say how often the stream broke the protocol (flows/PROTOCOL.md).
   *
   * <p>Cost: each span is built by {@code statusSpans} only when its state changed since the last
   * snapshot; what remains per snapshot is a walk over references (token sums, the earliest start,
   * the depth-first order with its sort of siblings, adding up cached sizes), no JSON and no copying.
   */
  static TraceSnapshot of(List<SpanState> states, StatusSpans statusSpans, TraceLimits limits, JsonNode output,
      ErrorInfo error, DroppedCounts alreadyDropped, long violations, String firstViolation) {
    long inputTokens = 0;
    long outputTokens = 0;
    long droppedLogs = alreadyDropped.getLogs();
    long traceStartMs = Long.MAX_VALUE;
    for (SpanState s : states) {
      inputTokens += s.tokens("input", limits.maxTokens());
      outputTokens += s.tokens("output", limits.maxTokens());
      droppedLogs += s.logsDropped;
      if (s.startTs > 0) {
        traceStartMs = Math.min(traceStartMs, StatusSpans.epochMillis(s.startTs));
      }
    }
    boolean anyStart = traceStartMs != Long.MAX_VALUE;
    if (!anyStart) {
      traceStartMs = 0; // no span has a start, so no offset counts from it
    }
    long droppedBytes = alreadyDropped.getBytes();
    long droppedSpans = alreadyDropped.getSpans();

    List<Span> out = new ArrayList<>();
    long total = 0;
    for (SpanState state : depthFirst(states)) {
      if (out.size() >= limits.maxSpans()) {
        droppedSpans++;
        continue;
      }
      StatusSpans.Built built = statusSpans.of(state, traceStartMs);
      droppedBytes += built.cutBytes();
      long size = built.bytes();
      if (total + size > limits.maxTotalSpanBytes()) {
        droppedSpans++;
        continue;
      }
      total += size;
      out.add(built.span());
    }
    // output and error were bounded when they arrived (SpanAssembler): nothing more to cut here
    long spanCount = Math.min(Integer.MAX_VALUE, states.size() + alreadyDropped.getSpans());
    String traceStartTime = anyStart ? RFC3339_MILLIS.format(Instant.ofEpochMilli(traceStartMs)) : null;
    return new TraceSnapshot(out, traceStartTime, (int) spanCount,
        new TokenCounts(inputTokens, outputTokens, inputTokens + outputTokens),
        new DroppedCounts(droppedSpans, droppedLogs, droppedBytes), output, error, violations, firstViolation);
  }

  /**
   * Roots (no parent, or a parent never seen) first, then their children depth-first, siblings by
   * start time; spans caught in a parent cycle come last, the first one met first, as if a root. Each
   * span is visited once, so a cycle (a hostile stream can make one) ends too.
   */
  static List<SpanState> depthFirst(List<SpanState> states) {
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
    List<SpanState> ordered = new ArrayList<>(states.size());
    Set<String> visited = new HashSet<>();
    for (SpanState root : roots) {
      visit(root, children, visited, ordered);
    }
    for (SpanState s : states) { // in a cycle: no root leads there
      visit(s, children, visited, ordered);
    }
    return ordered;
  }

  private static void visit(SpanState start, Map<String, List<SpanState>> children, Set<String> visited, List<SpanState> out) {
    // Iterative, so a deep or cyclic tree cannot overflow the stack.
    if (!visited.add(start.id)) {
      return;
    }
    out.add(start);
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
        out.add(next);
        stack.add(children.getOrDefault(next.id, List.of()).iterator());
      }
    }
  }
}
