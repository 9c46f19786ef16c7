package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.PlayStatus;
import io.herologic.model.Span;
import io.herologic.operator.it.SpanTrees;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * Prints (asserts nothing) how large the status of a few synthetic traces is in the compact shape
 * and in the shape before it (every span with its depth and an absolute startTime), and what a
 * snapshot costs once the trace is built. Run from the repository root:
 *
 * <pre>
 * mvn -B -q -pl operator -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/cp.txt
 * java -cp operator/target/test-classes:operator/target/classes:$(cat /tmp/cp.txt) io.herologic.operator.trace.StatusSizeReport
 * </pre>
 */
public final class StatusSizeReport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double T0 = 1_764_561_600.0; // 2025-12-01T04:00:00Z
  private long seq;

  public static void main(String[] args) throws Exception {
    System.out.printf("%-44s %8s %12s %12s %7s%n", "trace", "spans", "before (B)", "after (B)", "saved");
    report("hello-like, 10 spans", new StatusSizeReport().hello());
    report("2,000 spans, 3 tags and 2 log lines each", new StatusSizeReport().wide(2_000));
    report("10,000 spans, cut to the budget", new StatusSizeReport().wide(10_000));
    cost();
  }

  private static void report(String name, SpanAssembler a) throws Exception {
    TraceSnapshot snap = a.snapshot();
    long after = JSON.writeValueAsBytes(status(snap)).length;
    long before = JSON.writeValueAsBytes(beforeShape(snap)).length;
    System.out.printf("%-44s %8d %12d %12d %6.1f%%%n", name, snap.spans().size(), before, after, 100.0 * (before - after) / before);
  }

  /**
   * What a snapshot of a 2,000-span trace costs: building every span (a fresh assembler's first
   * snapshot, as every snapshot did before) and after one changed span. Medians after a warm-up.
   */
  private static void cost() {
    int rounds = 200;
    long[] full = new long[rounds / 10];
    for (int i = -5; i < full.length; i++) { // the first five warm the JIT up
      SpanAssembler fresh = new StatusSizeReport().wide(2_000);
      long t = System.nanoTime();
      fresh.snapshot();
      if (i >= 0) {
        full[i] = System.nanoTime() - t;
      }
    }
    StatusSizeReport r = new StatusSizeReport();
    SpanAssembler a = r.wide(2_000);
    a.snapshot();
    long builtFirst = a.spansBuilt();
    long[] next = new long[rounds];
    for (int i = -rounds; i < rounds; i++) { // the first half warms the JIT up
      a.accept(r.event(T0 + 1_000 + i, "span_log", "span_id", id(1), "message", "one more line " + i));
      long t = System.nanoTime();
      a.snapshot();
      if (i >= 0) {
        next[i] = System.nanoTime() - t;
      }
    }
    java.util.Arrays.sort(full);
    java.util.Arrays.sort(next);
    System.out.printf("snapshot of 2,000 spans, every span built: %d builds, median %.2f ms%n", builtFirst, full[full.length / 2] / 1e6);
    System.out.printf("snapshot of 2,000 spans after one changed span: %.1f builds, median %.2f ms%n",
        (a.spansBuilt() - builtFirst) / (double) (2 * rounds), next[rounds / 2] / 1e6);
  }

  private static PlayStatus status(TraceSnapshot snap) {
    PlayStatus status = new PlayStatus();
    status.setConditions(null);
    status.setSpans(snap.spans());
    status.setTraceStartTime(snap.traceStartTime());
    status.setSpanCount(snap.spanCount());
    status.setTokens(snap.tokens());
    status.setDropped(snap.dropped());
    return status;
  }

  /** The same status as before this change: no traceStartTime, each span with depth and startTime. */
  private static ObjectNode beforeShape(TraceSnapshot snap) {
    ObjectNode status = JSON.valueToTree(status(snap));
    status.remove("traceStartTime");
    long traceStart = Instant.parse(snap.traceStartTime()).toEpochMilli();
    List<Integer> depths = SpanTrees.depths(snap.spans());
    ArrayNode spans = status.putArray("spans");
    for (int i = 0; i < snap.spans().size(); i++) {
      Span s = snap.spans().get(i);
      ObjectNode span = JSON.valueToTree(s);
      span.remove("startOffsetMs");
      if (s.getStartOffsetMs() != null) {
        span.put("startTime", Instant.ofEpochMilli(traceStart + s.getStartOffsetMs()).truncatedTo(ChronoUnit.MILLIS).toString());
      }
      span.put("depth", depths.get(i));
      spans.add(span);
    }
    return status;
  }

  private static String id(int i) {
    return String.format("%016x", 0xa000_0000_0000L + i);
  }

  private String event(double ts, String type, Object... fields) {
    return EventLines.line(++seq, ts, type, fields);
  }

  private void span(SpanAssembler a, int i, Integer parent, String name, String kind, double start, double end, Map<String, Object> tags, List<String> logs) {
    a.accept(event(start, "span_start", "span_id", id(i), "parent_id", parent == null ? null : id(parent), "name", name, "kind", kind, "tags", tags));
    logs.forEach(l -> a.accept(event(start, "span_log", "span_id", id(i), "message", l)));
    a.accept(event(end, "span_end", "span_id", id(i), "status", "ok"));
  }

  /** The built-in hello flow's shape: the flow, prepare, count with three steps, greet, and two more. */
  private SpanAssembler hello() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(event(T0, "run_start", "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", "flow", "hello", "inputs", Map.of()));
    a.accept(event(T0, "span_start", "span_id", id(0), "parent_id", null, "name", "hello", "kind", "flow", "tags", Map.of("who", "Ada")));
    span(a, 1, 0, "prepare", "step", T0 + 0.001, T0 + 0.002, Map.of("who", "Ada"), List.of("composed the greeting: Hello, Ada!"));
    a.accept(event(T0 + 0.003, "span_start", "span_id", id(2), "parent_id", id(0), "name", "count", "kind", "step", "tags", Map.of()));
    for (int i = 1; i <= 3; i++) {
      span(a, 2 + i, 2, "step " + i, "step", T0 + 0.003 + i * 0.1, T0 + 0.05 + i * 0.1, Map.of("i", i), List.of("step " + i + " of 3 done"));
    }
    a.accept(event(T0 + 0.4, "span_end", "span_id", id(2), "status", "ok"));
    span(a, 6, 0, "greet", "step", T0 + 0.41, T0 + 0.42, Map.of("length", 11), List.of("Hello, Ada!"));
    span(a, 7, 0, "calendar.rpc.discover", "rpc", T0 + 0.43, T0 + 0.45,
        Map.of("rpc.system", "jsonrpc", "rpc.service", "calendar", "rpc.method", "rpc.discover"), List.of());
    span(a, 8, 0, "summarize", "step", T0 + 0.46, T0 + 0.47, Map.of(), List.of("done"));
    span(a, 9, 0, "report", "step", T0 + 0.48, T0 + 0.49, Map.of(), List.of());
    a.accept(event(T0 + 0.5, "span_end", "span_id", id(0), "status", "ok"));
    return a;
  }

  /** A flow with {@code n} spans: 1 root, groups of 10 steps each with rpc children, 3 tags and 2 log lines each. */
  private SpanAssembler wide(int n) {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(event(T0, "run_start", "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", "flow", "wide", "inputs", Map.of()));
    a.accept(event(T0, "span_start", "span_id", id(0), "parent_id", null, "name", "wide", "kind", "flow", "tags", Map.of()));
    for (int i = 1; i < n; i++) {
      int parent = i % 10 == 1 ? 0 : i - (i - 1) % 10; // every tenth span is a step under the root, the next nine its rpc calls
      boolean step = parent == 0;
      double start = T0 + i * 0.02;
      span(a, i, parent, step ? "step " + i : "calendar.event.list", step ? "step" : "rpc", start, start + 0.015,
          Map.of("step.index", i, "rpc.service", "calendar", "rpc.method", "event.list"),
          List.of("call " + i + " started", "call " + i + " fetched 3 rows from calendar.events"));
    }
    return a;
  }
}
