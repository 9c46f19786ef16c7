package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The checks and cuts every value from the event stream goes through before it is kept. The stream
 * is written by flow code and whatever it starts, so nothing in it is trusted (flows/PROTOCOL.md,
 * "Readers treat the stream as hostile").
 */
final class Bounds {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SPAN_ID = Pattern.compile("[0-9a-f]{16}");
  private static final Pattern TRACE_ID = Pattern.compile("[0-9a-f]{32}");
  /** Timestamps after this (year 5138) are not real; they would also overflow {@link java.time.Instant}. */
  static final double MAX_TS = 1e11;

  private Bounds() {}

  /** What the cuts left out, added up. */
  static final class Cut {
    long bytes;
  }

  static boolean isSpanId(String id) {
    return id != null && SPAN_ID.matcher(id).matches();
  }

  static boolean isTraceId(String id) {
    return id != null && TRACE_ID.matcher(id).matches();
  }

  /** A timestamp the stream may set: finite, not negative, before {@link #MAX_TS}. */
  static boolean isTimestamp(double ts) {
    return Double.isFinite(ts) && ts >= 0 && ts <= MAX_TS;
  }

  /**
   * A count (tokens, the runner's dropped counts): a JSON integer, not negative, clamped to {@code max}.
   * Floats, strings and negative numbers are no count at all (empty).
   */
  static OptionalLong count(JsonNode node, long max) {
    if (node == null || !node.isIntegralNumber() || node.bigIntegerValue().signum() < 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(node.canConvertToLong() ? Math.min(node.longValue(), max) : max);
  }

  /** Whether {@link #count} had to clamp this node. */
  static boolean exceeds(JsonNode node, long max) {
    return node != null && node.isIntegralNumber() && (!node.canConvertToLong() || node.longValue() > max);
  }

  /** {@code text}, or its start plus how much was cut, at most about {@code maxBytes} of UTF-8. */
  static String cut(String text, int maxBytes, Cut cut) {
    if (text == null) {
      return null;
    }
    if (text.length() <= maxBytes / 3) { // no UTF-16 char takes more than 3 bytes: surely fits
      return text;
    }
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= maxBytes) {
      return text;
    }
    int keep = Math.max(0, maxBytes - 48);
    String head = new String(bytes, 0, keep, StandardCharsets.UTF_8).replace("\uFFFD", "");
    cut.bytes += bytes.length - keep;
    return head + "… [" + (bytes.length - keep) + " bytes cut]";
  }

  /** A value too large to keep becomes a string: its JSON text, cut, saying how much was cut. */
  static JsonNode value(JsonNode value, int maxBytes, Cut cut) {
    if (value == null || size(value) <= maxBytes) {
      return value;
    }
    String text = value.isTextual() ? value.asText() : value.toString();
    return JsonNodeFactory.instance.textNode(cut(text, maxBytes, cut));
  }

  static long size(String text) {
    if (text == null) {
      return 0;
    }
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a surrogate pair is 4
    }
    return bytes;
  }

  /** The size of {@code value} as compact JSON. */
  static long size(Object value) {
    if (value == null) {
      return 0;
    }
    try {
      return JSON.writeValueAsBytes(value).length;
    } catch (Exception e) {
      return Long.MAX_VALUE / 4;
    }
  }

  /** {@code text} quoted for a message, never longer than {@code max} characters. */
  static String quote(String text, int max) {
    if (text == null) {
      return "null";
    }
    String shown = text.length() <= max ? text : text.substring(0, max) + "…";
    return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
  }
}
