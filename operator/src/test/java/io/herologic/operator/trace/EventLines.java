package io.herologic.operator.trace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Span event lines as the runner writes them (flows/PROTOCOL.md), for tests that feed a reader. */
public final class EventLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EventLines() {}

  /** One event line: the marker, then {@code v}, {@code seq}, {@code ts}, {@code type} and {@code fields} as name, value pairs. */
  public static String line(long seq, double ts, String type, Object... fields) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("v", 1);
    body.put("seq", seq);
    body.put("ts", ts);
    body.put("type", type);
    for (int i = 0; i < fields.length; i += 2) {
      body.put((String) fields[i], fields[i + 1]);
    }
    try {
      return SpanEvent.MARKER + JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
