package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import io.herologic.model.DroppedCounts;
import io.herologic.model.ErrorInfo;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * Builds a Play's trace from the lines of its Pod's log, treating them as hostile input: the flow,
 * anything it starts and a model's generated code can all write that log (flows/PROTOCOL.md,
 * "Readers treat the stream as hostile").
 *
 * <ul>
 *   <li>Each line is applied once, in arrival order (the log reader never feeds a line twice).
 *       {@code seq} is an integrity check only: an event whose {@code seq} is not the next one is still
 *       applied, and counted as a violation. Nothing is ever allocated by a number the stream sent.
 *   <li>Run-level events ({@code output}, {@code error}, {@code dropped}, {@code run_end}): the last
 *       one wins, because the runner writes its genuine ones after the flow returned; {@code run_end} discards an
 *       {@code error} of a succeeded run or an {@code output} of a failed one (the runner never
 *       writes both). Nothing is applied after {@code run_end}.
 *   <li>Span events: the first one wins. A second {@code span_start} never renames or reparents a
 *       span, a second {@code span_end} is ignored; tags merge, bounded.
 *   <li>Its own caps whatever the writer promised: {@link TraceLimits#maxTrackedSpans} spans,
 *       {@link TraceLimits#maxHeldBytes} of span state, every string and count bounded on merge.
 *   <li>Ids must be lowercase hex (16 digits for spans, 32 for the trace), {@code v} must be 1.
 * </ul>
 *
 * <p>Lines without the event marker (a process writing to stdout, the runner's stderr) become logs of
 * the root span, and garbage never throws. Not thread-safe: one follower thread writes, and readers
 * take a {@link #snapshot}.
 */
public final class SpanAssembler {
  /** Accounted for each line held before the root span exists, besides its text. */
  private static final int LINE_OVERHEAD_BYTES = SpanState.LINE_OVERHEAD_BYTES;

  private final TraceLimits limits;
  private final SpanListener listener;
  private final Map<String, SpanState> spans = new LinkedHashMap<>();
  private final Deque<String> orphanLines = new ArrayDeque<>();
  private final Violations violations;
  private final Bounds.Cut spanCut = new Bounds.Cut();
  private final StatusSpans statusSpans;
  private String rootId;
  private long orphanLinesDropped;
  private long heldSpanBytes;
  private long version;
  private long endings;
  private long lastSeq;
  private boolean runStarted;
  private boolean runEnded;
  private JsonNode output;
  private long outputCutBytes;
  private ErrorInfo error;
  private long errorCutBytes;
  private String runStatus;
  private String traceId;
  private long untrackedSpans;
  private long untrackedLogs;
  private long runnerDroppedSpans;
  private long runnerDroppedLogs;
  private long runnerDroppedBytes;
  private long linesRead;
  private boolean unfinishedReported;

  public SpanAssembler(TraceLimits limits) {
    this(limits, SpanListener.NONE);
  }

  /** An assembler that tells {@code listener} of each span once it is finished (see {@link #endUnfinished}). */
  public SpanAssembler(TraceLimits limits, SpanListener listener) {
    this.limits = limits;
    this.listener = listener;
    this.statusSpans = new StatusSpans(limits);
    this.violations = new Violations(limits.maxViolationLogs());
  }

  /** Applies one log line; returns true when the trace (or its violation count) changed. */
  public boolean accept(String line) {
    if (line == null) {
      return false;
    }
    linesRead++;
    var event = SpanEvent.parse(line);
    if (event.isEmpty()) {
      return acceptPlainLine(line);
    }
    SpanEvent e = event.get();
    version++;
    if (lastSeq == Long.MAX_VALUE || e.seq() != lastSeq + 1) { // compared without overflow
      violation("event out of sequence: expected " + BigInteger.valueOf(lastSeq).add(BigInteger.ONE) + ", got " + e.seq());
    }
    lastSeq = e.seq();
    if (!e.isVersion1()) {
      violation("event with protocol version " + Bounds.quote(e.body().path("v").toString(), 20) + " not applied");
      return true;
    }
    if (runEnded) {
      violation("event " + Bounds.quote(e.type(), 40) + " after run_end not applied");
      return true;
    }
    apply(e);
    return true;
  }

  private boolean acceptPlainLine(String line) {
    if (line.isBlank()) {
      return false;
    }
    logOnRoot(line);
    version++;
    return true;
  }

  private void logOnRoot(String line) {
    SpanState root = rootSpan();
    if (root != null) {
      mutate(root, s -> s.log(line, limits, spanCut));
      return;
    }
    // Output before the flow's root span exists; kept (bounded) until it does.
    String kept = Bounds.cut(line, limits.maxTextBytes(), spanCut);
    orphanLines.addLast(kept);
    heldSpanBytes += Bounds.size(kept) + LINE_OVERHEAD_BYTES;
    if (orphanLines.size() > limits.maxLogLinesPerSpan()) {
      heldSpanBytes -= Bounds.size(orphanLines.removeFirst()) + LINE_OVERHEAD_BYTES;
      orphanLinesDropped++;
    }
  }

  private void violation(String what) {
    violations.record(what, this::logOnRoot);
  }

  private void apply(SpanEvent e) {
    JsonNode b = e.body();
    switch (e.type()) {
      case "run_start" -> startRun(e);
      case "span_start" -> startSpan(e);
      case "span_tag" -> {
        SpanState span = knownSpan(e);
        if (span != null) {
          mutate(span, s -> mergeTags(s, b.get("tags")));
        }
      }
      case "span_log" -> {
        SpanState span = knownSpan(e);
        if (span != null && fits()) {
          mutate(span, s -> s.log(b.path("message").asText(""), limits, spanCut));
        } else if (span != null || Bounds.isSpanId(e.text("span_id"))) {
          untrackedLogs++;
        }
      }
      case "span_end" -> endSpan(e);
      case "tokens" -> tokens(e);
      case "output" -> {
        Bounds.Cut cut = new Bounds.Cut();
        output = Bounds.value(b.get("value"), limits.maxOutputBytes(), cut);
        outputCutBytes = cut.bytes;
      }
      case "error" -> {
        Bounds.Cut cut = new Bounds.Cut();
        error = boundedError(errorInfo(b.get("error")), cut);
        errorCutBytes = cut.bytes;
      }
      case "dropped" -> {
        runnerDroppedSpans = runnerCount(b, "spans");
        runnerDroppedLogs = runnerCount(b, "logs");
        runnerDroppedBytes = runnerCount(b, "log_bytes") + runnerCount(b, "values_cut");
      }
      case "run_end" -> {
        String status = e.text("status");
        if (!"succeeded".equals(status) && !"failed".equals(status)) {
          violation("run_end with status " + Bounds.quote(status, 40) + " read as failed");
          status = "failed";
        }
        runStatus = status;
        runEnded = true;
        endings++;
        discardTheOtherOutcome(status);
      }
      default -> { } // a newer runner's event type: ignored, never fatal
    }
  }

  /**
   * The runner writes an output only when the flow returned and an error only when it failed, both
   * just before run_end. One that does not match the run's end was forged by the flow: dropped.
   */
  private void discardTheOtherOutcome(String status) {
    if ("succeeded".equals(status) && error != null) {
      violation("an error event in a succeeded run discarded");
      error = null;
      errorCutBytes = 0;
    } else if ("failed".equals(status) && output != null) {
      violation("an output event in a failed run discarded");
      output = null;
      outputCutBytes = 0;
    }
  }

  private void startRun(SpanEvent e) {
    if (runStarted) {
      violation("a second run_start ignored");
      return;
    }
    runStarted = true;
    String id = e.text("trace_id");
    if (Bounds.isTraceId(id)) {
      traceId = id;
    } else {
      violation("run_start with trace_id " + Bounds.quote(id, 40) + ", not 32 lowercase hex digits");
    }
  }

  private void startSpan(SpanEvent e) {
    JsonNode b = e.body();
    String parentId = e.text("parent_id");
    if (parentId != null && !Bounds.isSpanId(parentId)) {
      violation("span_start with parent_id " + Bounds.quote(parentId, 40) + ", not 16 lowercase hex digits: not applied");
      return;
    }
    SpanState span = knownSpan(e);
    if (span == null) {
      return;
    }
    if (span.started) {
      violation("span_start for span " + span.id + ", which already started: ignored");
      return;
    }
    if (parentId == null && rootId != null) {
      violation("a second root span " + span.id);
    }
    double ts = timestamp(e);
    mutate(span, s -> {
      s.started = true;
      s.parentId = parentId;
      s.name = Bounds.cut(b.path("name").asText(""), limits.maxNameBytes(), spanCut);
      s.kind = Bounds.cut(b.path("kind").asText("step"), limits.maxNameBytes(), spanCut);
      s.startTs = ts;
      mergeTags(s, b.get("tags"));
    });
    if (parentId == null && rootId == null) {
      rootId = span.id;
      long orphanBytes = 0;
      for (String l : orphanLines) {
        orphanBytes += Bounds.size(l) + LINE_OVERHEAD_BYTES;
      }
      heldSpanBytes -= orphanBytes;
      mutate(span, s -> {
        orphanLines.forEach(l -> s.log(l, limits, spanCut));
        s.logsDropped += orphanLinesDropped;
      });
      orphanLines.clear();
      orphanLinesDropped = 0;
    }
  }

  private void endSpan(SpanEvent e) {
    SpanState span = knownSpan(e);
    if (span == null) {
      return;
    }
    if (span.ended) {
      violation("span_end for span " + span.id + ", which already ended: ignored");
      return;
    }
    JsonNode b = e.body();
    double ts = timestamp(e);
    boolean room = fits();
    mutate(span, s -> {
      s.ended = true;
      s.endTs = ts;
      s.status = "error".equals(e.text("status")) ? "Error" : "Ok";
      mergeTags(s, b.get("tags"));
      ErrorInfo given = errorInfo(b.get("error"));
      if (given != null) {
        // Over the Play's ceiling a span still says which error ended it, without the long texts.
        s.setError(room ? given : new ErrorInfo(given.getType(), null, null), limits, spanCut);
      }
    });
    endings++;
    listener.spanFinished(FinishedSpan.of(span, traceId, linesRead, false, ts));
  }

  /**
   * Tells the listener of every span that never ended, as ended now by the operator (with an error),
   * once: call it when the Play's log was read to its end or the Play ended without it. Status is not
   * changed: it keeps showing such spans as they were left.
   */
  public void endUnfinished(double endSeconds) {
    if (unfinishedReported) {
      return;
    }
    unfinishedReported = true;
    for (SpanState s : spans.values()) {
      if (!s.ended) {
        listener.spanFinished(FinishedSpan.of(s, traceId, linesRead, true, endSeconds));
      }
    }
  }

  private void tokens(SpanEvent e) {
    SpanState span = knownSpan(e);
    if (span == null) {
      return;
    }
    JsonNode in = e.body().get("input_tokens");
    JsonNode out = e.body().get("output_tokens");
    OptionalLong input = Bounds.count(in, limits.maxTokens());
    OptionalLong output = Bounds.count(out, limits.maxTokens());
    if (input.isEmpty() || output.isEmpty()) {
      violation("tokens for span " + span.id + " with counts " + Bounds.quote(String.valueOf(in), 40) + " and "
          + Bounds.quote(String.valueOf(out), 40) + ", not non-negative integers: not applied");
      return;
    }
    if (Bounds.exceeds(in, limits.maxTokens()) || Bounds.exceeds(out, limits.maxTokens())) {
      violation("tokens for span " + span.id + " clamped to " + limits.maxTokens());
    }
    span.inputTokens = input.getAsLong();
    span.outputTokens = output.getAsLong();
    span.tokensReported = true;
  }

  private long runnerCount(JsonNode body, String field) {
    JsonNode node = body.get(field);
    OptionalLong n = Bounds.count(node, limits.maxTokens());
    if (node != null && n.isEmpty()) {
      violation("dropped." + field + " is " + Bounds.quote(node.toString(), 40) + ", not a non-negative integer");
    }
    return n.orElse(0);
  }

  private double timestamp(SpanEvent e) {
    if (Bounds.isTimestamp(e.ts())) {
      return e.ts();
    }
    violation("event " + e.seq() + " with a ts that is not a time: read as unknown");
    return 0;
  }

  /** Merges tags while the Play is under its ceiling; above it they are counted, not kept. */
  private void mergeTags(SpanState span, JsonNode tags) {
    if (fits()) {
      span.mergeTags(tags, limits, spanCut);
    } else {
      spanCut.bytes += Bounds.size((Object) tags);
    }
  }

  /**
   * The span the event names, made when first named (a span_end may come without its start and is
   * still shown), or null: the id is not a span id (a violation), or the assembler tracks as many
   * spans or bytes as it may (the span is counted as dropped and nothing of it is kept).
   */
  private SpanState knownSpan(SpanEvent e) {
    String id = e.text("span_id");
    if (!Bounds.isSpanId(id)) {
      violation(e.type() + " with span_id " + Bounds.quote(id, 40) + ", not 16 lowercase hex digits: not applied");
      return null;
    }
    SpanState span = spans.get(id);
    if (span != null) {
      if (!span.started && !"span_start".equals(e.type())) {
        violation(e.type() + " for span " + id + ", which has not started");
      }
      return span;
    }
    if (spans.size() >= limits.maxTrackedSpans() || !fits()) {
      if ("span_start".equals(e.type())) {
        untrackedSpans++;
      }
      return null;
    }
    if (!"span_start".equals(e.type())) {
      violation(e.type() + " for span " + id + ", which has not started");
    }
    span = new SpanState(id);
    spans.put(id, span);
    heldSpanBytes += span.bytes();
    return span;
  }

  /** Whether span state may still grow: below {@link TraceLimits#maxHeldBytes}. */
  private boolean fits() {
    return heldSpanBytes < limits.maxHeldBytes();
  }

  /** Every change to a span's state goes through here: it keeps the byte count and tells snapshots to rebuild the span. */
  private void mutate(SpanState span, Consumer<SpanState> change) {
    long before = span.bytes();
    change.accept(span);
    span.changes++;
    heldSpanBytes += span.bytes() - before;
  }

  private ErrorInfo boundedError(ErrorInfo given, Bounds.Cut cut) {
    return given == null ? null : new ErrorInfo(
        Bounds.cut(given.getType(), limits.maxNameBytes(), cut),
        Bounds.cut(given.getMessage(), limits.maxTextBytes(), cut),
        Bounds.cut(given.getTraceback(), 2 * limits.maxTextBytes(), cut));
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

  /** The span state held now (what the status is cut from), in bytes: how large the trace has grown. */
  public long heldBytes() {
    return heldSpanBytes;
  }

  /** Increases on every change; a status writer compares it to decide whether to patch. */
  public long version() {
    return version;
  }

  /**
   * Increases when something ends (a span, the run): a change worth writing soon. The other changes
   * (a span started, tagged or logging) only add to what is still open, and may wait a little for
   * the end that usually follows.
   */
  public long endings() {
    return endings;
  }

  /** The {@code seq} of the last event read (an integrity check, never a dedupe key). */
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

  /**
   * What this assembler holds, in accounted bytes (UTF-8 of every kept string and JSON value, plus a
   * fixed overhead per span and per log line). Span state stops growing at
   * {@link TraceLimits#maxHeldBytes}; the run's output and error are bounded on their own (they are
   * replaced, never added up) so the runner's genuine last ones always land.
   */
  public long retainedBytes() {
    return heldSpanBytes + runLevelBytes();
  }

  /** {@link #retainedBytes} counted again from scratch, to keep the running sum honest. */
  long recountRetainedBytes() {
    long bytes = runLevelBytes();
    for (SpanState s : spans.values()) {
      bytes += s.recount();
    }
    for (String l : orphanLines) {
      bytes += Bounds.size(l) + LINE_OVERHEAD_BYTES;
    }
    return bytes;
  }

  private long runLevelBytes() {
    return Bounds.size((Object) output) + SpanState.errorSize(error);
  }

  /** The trace as it stands, cut to the limits. */
  public TraceSnapshot snapshot() {
    var alreadyDropped = new DroppedCounts(runnerDroppedSpans + untrackedSpans, runnerDroppedLogs + untrackedLogs,
        runnerDroppedBytes + spanCut.bytes + outputCutBytes + errorCutBytes);
    return TraceSnapshot.of(new ArrayList<>(spans.values()), statusSpans, limits, output, error, alreadyDropped,
        violations.count(), violations.first());
  }

  /** How many spans snapshots have built from their state so far; an unchanged span is not built again. */
  long spansBuilt() {
    return statusSpans.builds();
  }
}
