package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.ErrorInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a Play's trace from the lines of its Pod's log.
 *
 * <p>Re-reading a log from the start (after a reconnect or an operator restart) is safe: each event
 * carries a per-Play sequence number and an event already applied is ignored, whatever order the
 * events come in. A span may end before its start is seen, and a child may arrive before its
 * parent. Lines without the event marker (a subprocess writing to stdout) become logs of the root
 * span, and garbage never throws. Memory is bounded too: logs per span keep a head and a tail.
 *
 * <p>Not thread-safe: one follower thread writes, and readers take a {@link #snapshot}.
 */
public final class SpanAssembler {
  static final String ROOT_KEY = "";

  private final TraceLimits limits;
  private final BitSet seen = new BitSet();
  private final Map<String, SpanState> spans = new LinkedHashMap<>();
  private final Deque<String> orphanLines = new ArrayDeque<>();
  private String rootId;
  private long orphanLinesDropped;
  private long version;
  private long lastSeq;
  private JsonNode output;
  private ErrorInfo error;
  private String runStatus;
  private String traceId;
  private long runnerDroppedSpans;
  private long runnerDroppedLogs;
  private long runnerDroppedBytes;

  public SpanAssembler(TraceLimits limits) {
    this.limits = limits;
  }

  /** Applies one log line; returns true when the trace changed. */
  public boolean accept(String line) {
    if (line == null) {
      return false;
    }
    var event = SpanEvent.parse(line);
    if (event.isEmpty()) {
      return acceptPlainLine(line);
    }
    SpanEvent e = event.get();
    if (e.seq() < 0 || e.seq() > Integer.MAX_VALUE || seen.get((int) e.seq())) {
      return false;
    }
    seen.set((int) e.seq());
    lastSeq = Math.max(lastSeq, e.seq());
    apply(e);
    version++;
    return true;
  }

  private boolean acceptPlainLine(String line) {
    if (line.isBlank()) {
      return false;
    }
    SpanState root = rootSpan();
    if (root != null) {
      root.log(line, limits);
    } else {
      // Output before the flow's root span exists; kept (bounded) until it does.
      orphanLines.addLast(line);
      if (orphanLines.size() > limits.maxLogLinesPerSpan()) {
        orphanLines.removeFirst();
        orphanLinesDropped++;
      }
    }
    version++;
    return true;
  }

  private void apply(SpanEvent e) {
    JsonNode b = e.body();
    switch (e.type()) {
      case "run_start" -> traceId = e.text("trace_id");
      case "span_start" -> {
        SpanState span = span(e.text("span_id"));
        span.started = true;
        span.parentId = e.text("parent_id");
        span.name = e.text("name");
        span.kind = b.path("kind").asText("step");
        span.startTs = e.ts();
        span.mergeTags(b.get("tags"));
        if (span.parentId == null && rootId == null) {
          rootId = span.id;
          orphanLines.forEach(l -> span.log(l, limits));
          span.logsDropped += orphanLinesDropped;
          orphanLines.clear();
        }
      }
      case "span_tag" -> span(e.text("span_id")).mergeTags(b.get("tags"));
      case "span_log" -> span(e.text("span_id")).log(b.path("message").asText(""), limits);
      case "span_end" -> {
        SpanState span = span(e.text("span_id"));
        span.endTs = e.ts();
        span.status = "error".equals(e.text("status")) ? "Error" : "Ok";
        span.mergeTags(b.get("tags"));
        if (b.hasNonNull("error")) {
          span.error = errorInfo(b.get("error"));
        }
      }
      case "tokens" -> {
        SpanState span = span(e.text("span_id"));
        span.inputTokens = b.path("input_tokens").asLong(0);
        span.outputTokens = b.path("output_tokens").asLong(0);
        span.tokensReported = true;
      }
      case "output" -> output = b.get("value");
      case "error" -> error = errorInfo(b.get("error"));
      case "dropped" -> {
        runnerDroppedSpans = b.path("spans").asLong(0);
        runnerDroppedLogs = b.path("logs").asLong(0);
        runnerDroppedBytes = b.path("log_bytes").asLong(0) + b.path("values_cut").asLong(0);
      }
      case "run_end" -> runStatus = e.text("status");
      default -> { } // a newer runner's event type: ignored, never fatal
    }
  }

  private SpanState span(String id) {
    return spans.computeIfAbsent(id == null ? ROOT_KEY : id, SpanState::new);
  }

  private SpanState rootSpan() {
    return rootId == null ? null : spans.get(rootId);
  }

  static ErrorInfo errorInfo(JsonNode node) {
    if (node == null || !node.isObject()) {
      return null;
    }
    return new ErrorInfo(text(node, "type"), text(node, "message"), text(node, "traceback"));
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** Increases on every change; a status writer compares it to decide whether to patch. */
  public long version() {
    return version;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public String runStatus() {
    return runStatus;
  }

  public ErrorInfo error() {
    return error;
  }

  public JsonNode output() {
    return output;
  }

  public String traceId() {
    return traceId;
  }

  /** The trace as it stands, cut to the limits. */
  public TraceSnapshot snapshot() {
    return TraceSnapshot.of(new ArrayList<>(spans.values()), limits, output, error,
        runnerDroppedSpans, runnerDroppedLogs, runnerDroppedBytes);
  }

  /** Mutable state of one span while events arrive. */
  static final class SpanState {
    final String id;
    boolean started;
    String parentId;
    String name;
    String kind;
    String status = "Running";
    double startTs;
    double endTs;
    ObjectNode tags;
    final List<String> headLogs = new ArrayList<>();
    final Deque<String> tailLogs = new ArrayDeque<>();
    long logsDropped;
    ErrorInfo error;
    long inputTokens;
    long outputTokens;
    boolean tokensReported;

    SpanState(String id) {
      this.id = id;
    }

    void mergeTags(JsonNode more) {
      if (more == null || !more.isObject() || more.isEmpty()) {
        return;
      }
      if (tags == null) {
        tags = JsonNodeFactory.instance.objectNode();
      }
      tags.setAll((ObjectNode) more);
    }

    /** Keeps the first half and the last half of the allowed lines; what falls between is counted. */
    void log(String message, TraceLimits limits) {
      int half = Math.max(1, limits.maxLogLinesPerSpan() / 2);
      if (headLogs.size() < half) {
        headLogs.add(message);
        return;
      }
      tailLogs.addLast(message);
      if (tailLogs.size() > half) {
        tailLogs.removeFirst();
        logsDropped++;
      }
    }

    long tokens(String which) {
      if (tokensReported) {
        return which.equals("input") ? inputTokens : outputTokens;
      }
      JsonNode t = tags == null ? null : tags.get(which.equals("input") ? "gen_ai.usage.input_tokens" : "gen_ai.usage.output_tokens");
      return t != null && t.canConvertToLong() ? t.asLong() : 0;
    }
  }
}
