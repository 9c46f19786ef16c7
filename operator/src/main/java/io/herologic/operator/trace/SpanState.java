package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.ErrorInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Mutable state of one span while events arrive. Everything it keeps is bounded as it is merged
 * (not only when a snapshot is cut), and {@link #bytes} says how much that is, so the assembler can
 * hold a Play's total to {@link TraceLimits#maxHeldBytes}.
 */
final class SpanState {
  /** Accounted for each span besides its strings: object headers, fields, map entry. */
  static final int OVERHEAD_BYTES = 256;
  /** Accounted for each kept log line besides its text. */
  static final int LINE_OVERHEAD_BYTES = 48;
  /** A tag value is never cut shorter than this to make it fit; it is left out instead. */
  private static final int MIN_TAG_ROOM = 64;

  final String id;
  boolean started;
  boolean ended;
  String parentId;
  String name;
  String kind;
  String status = "Running";
  double startTs;
  double endTs;
  ObjectNode tags;
  private long tagBytes;
  final List<String> headLogs = new ArrayList<>();
  final Deque<String> tailLogs = new ArrayDeque<>();
  private boolean headClosed;
  private long headBytes;
  private long tailBytes;
  long logsDropped;
  ErrorInfo error;
  private long errorBytes;
  long inputTokens;
  long outputTokens;
  boolean tokensReported;
  /**
   * Bumped by every change the assembler makes to what status shows of this span ({@link
   * SpanAssembler}'s {@code mutate}), so a snapshot rebuilds only the spans that changed.
   */
  long changes;
  /** This span as last built for status, reused while {@link #changes} stays the same ({@link StatusSpans}). */
  StatusSpans.Built built;

  SpanState(String id) {
    this.id = id;
  }

  /** What this span holds, in UTF-8 bytes plus a fixed overhead per span and per log line. */
  long bytes() {
    return OVERHEAD_BYTES + Bounds.size(id) + Bounds.size(parentId) + Bounds.size(name) + Bounds.size(kind)
        + tagBytes + headBytes + tailBytes + (long) (headLogs.size() + tailLogs.size()) * LINE_OVERHEAD_BYTES + errorBytes;
  }

  /** {@link #bytes} counted again from what is held, not from the running sums (a test keeps them honest). */
  long recount() {
    long tagsNow = 0;
    if (tags != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = tags.fields(); it.hasNext(); ) {
        var e = it.next();
        tagsNow += entrySize(e.getKey(), e.getValue());
      }
    }
    long logsNow = 0;
    for (String l : headLogs) {
      logsNow += Bounds.size(l) + LINE_OVERHEAD_BYTES;
    }
    for (String l : tailLogs) {
      logsNow += Bounds.size(l) + LINE_OVERHEAD_BYTES;
    }
    return OVERHEAD_BYTES + Bounds.size(id) + Bounds.size(parentId) + Bounds.size(name) + Bounds.size(kind)
        + tagsNow + logsNow + errorSize(error);
  }

  /**
   * Merges tags (later values win), each value cut to {@code maxTextBytes}, all of them together to
   * twice {@code maxSpanBytes} (the snapshot shows half of that, shared fairly among the keys). A tag
   * that does not fit is left out and counted.
   */
  void mergeTags(JsonNode more, TraceLimits limits, Bounds.Cut cut) {
    if (more == null || !more.isObject() || more.isEmpty()) {
      return;
    }
    if (tags == null) {
      tags = JsonNodeFactory.instance.objectNode();
    }
    long budget = 2L * limits.maxSpanBytes();
    for (Iterator<Map.Entry<String, JsonNode>> it = more.fields(); it.hasNext(); ) {
      var entry = it.next();
      String key = entry.getKey();
      long keyBytes = Bounds.size(key);
      if (keyBytes > limits.maxNameBytes()) {
        cut.bytes += keyBytes + Bounds.size((Object) entry.getValue());
        continue;
      }
      JsonNode old = tags.get(key);
      long others = tagBytes - (old == null ? 0 : entrySize(key, old));
      long room = Math.min(limits.maxTextBytes(), budget - others - keyBytes - 8);
      if (room < MIN_TAG_ROOM) {
        cut.bytes += keyBytes + Bounds.size((Object) entry.getValue());
        continue;
      }
      JsonNode value = Bounds.value(entry.getValue(), (int) room, cut);
      tags.set(key, value);
      tagBytes = others + entrySize(key, value);
    }
  }

  private static long entrySize(String key, JsonNode value) {
    return Bounds.size(key) + Bounds.size((Object) value) + 4; // quotes, colon, comma
  }

  /**
   * Keeps the first lines (half of {@code maxLogLinesPerSpan}, half of {@code maxSpanBytes}) and the
   * last ones (the same again); the lines that fall between are counted. Each line is cut to
   * {@code maxTextBytes} first.
   */
  void log(String message, TraceLimits limits, Bounds.Cut cut) {
    int halfLines = Math.max(1, limits.maxLogLinesPerSpan() / 2);
    int halfBytes = Math.max(256, limits.maxSpanBytes() / 2);
    String line = Bounds.cut(message, Math.min(limits.maxTextBytes(), halfBytes), cut);
    long size = Bounds.size(line);
    if (!headClosed && headLogs.size() < halfLines && headBytes + size <= halfBytes) {
      headLogs.add(line);
      headBytes += size;
      return;
    }
    headClosed = true; // later lines never jump ahead of one that went to the tail
    tailLogs.addLast(line);
    tailBytes += size;
    while (tailLogs.size() > halfLines || (tailBytes > halfBytes && tailLogs.size() > 1)) {
      tailBytes -= Bounds.size(tailLogs.removeFirst());
      logsDropped++;
    }
  }

  /** Sets the span's error, its texts cut: type to a name, message to a text, traceback to two. */
  void setError(ErrorInfo given, TraceLimits limits, Bounds.Cut cut) {
    error = given == null ? null : new ErrorInfo(
        Bounds.cut(given.getType(), limits.maxNameBytes(), cut),
        Bounds.cut(given.getMessage(), limits.maxTextBytes(), cut),
        Bounds.cut(given.getTraceback(), 2 * limits.maxTextBytes(), cut));
    errorBytes = errorSize(error);
  }

  static long errorSize(ErrorInfo e) {
    return e == null ? 0 : Bounds.size(e.getType()) + Bounds.size(e.getMessage()) + Bounds.size(e.getTraceback());
  }

  /** The span's token count: from its latest tokens event, else from its gen_ai.usage tags (checked the same way). */
  long tokens(String which, long maxTokens) {
    if (tokensReported) {
      return which.equals("input") ? inputTokens : outputTokens;
    }
    JsonNode t = tags == null ? null : tags.get(which.equals("input") ? "gen_ai.usage.input_tokens" : "gen_ai.usage.output_tokens");
    return Bounds.count(t, maxTokens).orElse(0);
  }
}
