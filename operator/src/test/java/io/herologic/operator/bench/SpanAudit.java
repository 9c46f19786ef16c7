package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.Span;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Play's span tree should hold against what its status holds, by span name (the root span
 * as {@code <root>}): spans and log lines missing (lost) or there more than once (doubled).
 *
 * <p>The expectation comes either from the chaos-steady flow's shape (a Play whose Pod succeeded:
 * the flow emits exactly that), or, for a Play whose Pod was killed part-way, from the event lines
 * in the Pod's log, read independently of the operator.
 */
final class SpanAudit {
  static final String ROOT = "<root>";
  private static final String MARKER = "@@herologic@@ ";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Lost and doubled counts; zero everywhere when the status is exactly what was emitted. */
  record Result(int spansLost, int spansDoubled, int logsLost, int logsDoubled, int expectedSpans, int expectedLogs, List<String> examples) {
    boolean exact() {
      return spansLost == 0 && spansDoubled == 0 && logsLost == 0 && logsDoubled == 0;
    }

    String describe() {
      return "spans lost " + spansLost + ", doubled " + spansDoubled + "; log lines lost " + logsLost + ", doubled " + logsDoubled
          + " (expected " + expectedSpans + " spans, " + expectedLogs + " log lines)" + (examples.isEmpty() ? "" : "; e.g. " + examples);
    }
  }

  private SpanAudit() {}

  /** chaos-steady's spans: the root with no logs, and step-NN with `logs` logged lines and one printed line each. */
  static Map<String, List<String>> steadyShape(int steps, int logs) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    m.put(ROOT, List.of());
    for (int i = 0; i < steps; i++) {
      List<String> lines = new ArrayList<>();
      for (int j = 0; j < logs; j++) {
        lines.add("step " + i + " line " + j);
      }
      lines.add("step " + i + " printed");
      m.put(String.format("step-%02d", i), lines);
    }
    return m;
  }

  /**
   * The spans and log lines the runner wrote into a Pod's log, read as PROTOCOL.md defines them: a
   * line that is not an event (no marker, or JSON that does not parse) is a log line of the root span.
   */
  static Map<String, List<String>> fromPodLog(String log) {
    Map<String, String> nameById = new HashMap<>();
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String line : log.split("\n")) {
      JsonNode event = line.startsWith(MARKER) ? parse(line.substring(MARKER.length())) : null;
      if (event == null) {
        if (!line.isBlank()) {
          m.computeIfAbsent(ROOT, k -> new ArrayList<>()).add(line); // not an event: a log line of the root span
        }
        continue;
      }
      String id = event.path("span_id").asText(null);
      switch (event.path("type").asText()) {
        case "span_start" -> {
          String name = event.path("parent_id").isNull() ? ROOT : event.path("name").asText();
          nameById.put(id, name);
          m.computeIfAbsent(name, k -> new ArrayList<>());
        }
        case "span_log" -> {
          String name = nameById.get(id);
          if (name != null) {
            m.get(name).add(event.path("message").asText());
          }
        }
        default -> { }
      }
    }
    return m;
  }

  private static JsonNode parse(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      return node != null && node.isObject() ? node : null;
    } catch (Exception notAnEvent) {
      return null;
    }
  }

  /** The spans and log lines in a Play's status. */
  static Map<String, List<List<String>>> fromStatus(List<Span> spans) {
    Map<String, List<List<String>>> m = new LinkedHashMap<>();
    for (Span s : spans == null ? List.<Span>of() : spans) {
      String name = s.getParentId() == null ? ROOT : s.getName();
      m.computeIfAbsent(name, k -> new ArrayList<>()).add(s.getLogs() == null ? List.of() : s.getLogs());
    }
    return m;
  }

  static Result compare(Map<String, List<String>> expected, Map<String, List<List<String>>> actual) {
    int spansLost = 0;
    int spansDoubled = 0;
    int logsLost = 0;
    int logsDoubled = 0;
    int expectedLogs = 0;
    List<String> examples = new ArrayList<>();
    for (var e : expected.entrySet()) {
      expectedLogs += e.getValue().size();
      List<List<String>> copies = actual.getOrDefault(e.getKey(), List.of());
      if (copies.isEmpty()) {
        spansLost++;
        logsLost += e.getValue().size();
        continue;
      }
      spansDoubled += copies.size() - 1;
      Map<String, Integer> want = counts(e.getValue());
      Map<String, Integer> got = new HashMap<>();
      copies.forEach(logs -> counts(logs).forEach((line, n) -> got.merge(line, n, Integer::sum)));
      for (var w : want.entrySet()) {
        int g = got.getOrDefault(w.getKey(), 0);
        logsLost += Math.max(0, w.getValue() - g);
        logsDoubled += Math.max(0, g - w.getValue());
        if (g != w.getValue()) {
          example(examples, e.getKey() + ": " + g + "x " + quote(w.getKey()) + " (written " + w.getValue() + "x)");
        }
      }
      for (var g : got.entrySet()) {
        if (!want.containsKey(g.getKey())) {
          logsDoubled += g.getValue(); // a line the flow never wrote
          example(examples, e.getKey() + ": never written " + quote(g.getKey()));
        }
      }
    }
    for (var a : actual.entrySet()) {
      if (!expected.containsKey(a.getKey())) {
        spansDoubled += a.getValue().size(); // a span the flow never started
      }
    }
    return new Result(spansLost, spansDoubled, logsLost, logsDoubled, expected.size(), expectedLogs, examples);
  }

  private static void example(List<String> examples, String text) {
    if (examples.size() < 3) {
      examples.add(text);
    }
  }

  private static String quote(String line) {
    return '"' + (line.length() > 160 ? line.substring(0, 160) + "..." : line) + '"';
  }

  private static Map<String, Integer> counts(List<String> lines) {
    Map<String, Integer> m = new HashMap<>();
    lines.forEach(l -> m.merge(l, 1, Integer::sum));
    return m;
  }
}
