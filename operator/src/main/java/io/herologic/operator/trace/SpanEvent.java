package io.herologic.operator.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/**
 * One line of the runner's event stream (flows/PROTOCOL.md): the marker, then a JSON object with
 * {@code v}, {@code seq}, {@code ts}, {@code type} and the fields of that type.
 */
public record SpanEvent(long seq, double ts, String type, JsonNode body) {
  public static final String MARKER = "@@herologic@@ ";
  public static final int PROTOCOL_VERSION = 1;
  /** JSON nested deeper than this is no event (flows/PROTOCOL.md); the runner's values nest 20 deep at most. */
  public static final int MAX_NESTING = 500;
  /**
   * Strict like the Python reader (flows/herologic/assemble.py), so both take the same lines for
   * events: nothing after the object, at most {@link #MAX_NESTING} levels, Jackson's default limits
   * on numbers (1,000 digits), names (50,000 chars) and strings (20,000,000 chars).
   */
  private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build())
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** The event on this line, or empty when the line is not an event (plain output) or is malformed. */
  public static Optional<SpanEvent> parse(String line) {
    if (!line.startsWith(MARKER)) { // not indexOf: that would scan a long plain line to its end
      return Optional.empty();
    }
    try {
      JsonNode body = JSON.readTree(line.substring(MARKER.length()));
      JsonNode seq = body == null ? null : body.path("seq");
      if (body == null || !body.isObject() || !seq.isIntegralNumber() || !seq.canConvertToLong() || !body.path("type").isTextual()) {
        return Optional.empty();
      }
      double ts = body.path("ts").isNumber() ? body.get("ts").asDouble() : 0;
      return Optional.of(new SpanEvent(seq.asLong(), ts, body.get("type").asText(), body));
    } catch (Exception malformed) {
      return Optional.empty();
    }
  }

  /** Whether the line says it speaks this protocol's version ({@code "v": 1}); other versions are not applied. */
  public boolean isVersion1() {
    JsonNode v = body.get("v");
    return v != null && v.isIntegralNumber() && v.canConvertToInt() && v.intValue() == PROTOCOL_VERSION;
  }

  public String text(String field) {
    JsonNode v = body.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
