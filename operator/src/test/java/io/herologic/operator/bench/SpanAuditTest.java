package io.herologic.operator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.model.Span;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chaos suite's own yardstick: it must see a lost or doubled span or line, and nothing when there is none. */
class SpanAuditTest {
  private static Span span(String id, String parent, String name, String... logs) {
    Span s = new Span();
    s.setId(id);
    s.setParentId(parent);
    s.setName(name);
    s.setLogs(List.of(logs));
    return s;
  }

  private static List<Span> steadyStatus() {
    List<Span> spans = new ArrayList<>();
    spans.add(span("r", null, "chaos-steady"));
    spans.add(span("a", "r", "step-00", "step 0 line 0", "step 0 line 1", "step 0 printed"));
    spans.add(span("b", "r", "step-01", "step 1 line 0", "step 1 line 1", "step 1 printed"));
    return spans;
  }

  @Test
  void exactStatusIsExact() {
    SpanAudit.Result r = SpanAudit.compare(SpanAudit.steadyShape(2, 2), SpanAudit.fromStatus(steadyStatus()));
    assertTrue(r.exact(), r.describe());
    assertEquals(3, r.expectedSpans());
    assertEquals(6, r.expectedLogs());
  }

  @Test
  void countsLostAndDoubledSpansAndLines() {
    List<Span> spans = steadyStatus();
    spans.remove(2); // step-01 and its 3 lines lost
    spans.add(span("c", "r", "step-00", "step 0 line 0")); // step-00 twice, one line twice
    spans.add(span("d", "r", "forged", "x")); // a span the flow never started
    SpanAudit.Result r = SpanAudit.compare(SpanAudit.steadyShape(2, 2), SpanAudit.fromStatus(spans));
    assertFalse(r.exact());
    assertEquals(List.of(1, 2, 3, 1, 3, 6), List.of(r.spansLost(), r.spansDoubled(), r.logsLost(), r.logsDoubled(), r.expectedSpans(),
        r.expectedLogs()));
    assertEquals(List.of("step-00: 2x \"step 0 line 0\" (written 1x)"), r.examples());
  }

  @Test
  void readsTheExpectationFromAPodLog() {
    String log = """
        @@herologic@@ {"v":1,"seq":1,"type":"run_start","trace_id":"t","flow":"chaos-steady","inputs":{}}
        @@herologic@@ {"v":1,"seq":2,"type":"span_start","span_id":"r","parent_id":null,"name":"chaos-steady","kind":"flow","tags":{}}
        @@herologic@@ {"v":1,"seq":3,"type":"span_start","span_id":"a","parent_id":"r","name":"step-00","kind":"step","tags":{}}
        @@herologic@@ {"v":1,"seq":4,"type":"span_log","span_id":"a","message":"step 0 line 0","level":"info"}
        printed without the marker
        @@herologic@@ {not json
        @@herologic@@ {"v":1,"seq":5,"type":"span_end","span_id":"a","status":"error"}
        """;
    Map<String, List<String>> expected = SpanAudit.fromPodLog(log);
    assertEquals(Map.of(SpanAudit.ROOT, List.of("printed without the marker", "@@herologic@@ {not json"), "step-00", List.of("step 0 line 0")),
        expected);
  }
}
