package io.herologic.operator.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.Span;
import io.herologic.operator.it.SpanTrees;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpanAssemblerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private long seq;

  /** A span id for a short readable name: its bytes in hex, padded to 16 digits. */
  static String hex(String name) {
    String digits = java.util.HexFormat.of().formatHex(name.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    return "0".repeat(16 - digits.length()) + digits;
  }

  private String event(String type, Object... fields) {
    Object[] hexIds = fields.clone();
    for (int i = 0; i < hexIds.length; i += 2) {
      boolean isId = hexIds[i].equals("span_id") || hexIds[i].equals("parent_id");
      hexIds[i + 1] = isId && hexIds[i + 1] != null ? hex((String) hexIds[i + 1]) : hexIds[i + 1];
    }
    ++seq;
    return EventLines.line(seq, 1000.0 + seq, type, hexIds);
  }

  private String start(String id, String parent, String name) {
    return event("span_start", "span_id", id, "parent_id", parent, "name", name, "kind", parent == null ? "flow" : "step", "tags", Map.of());
  }

  private String end(String id) {
    return event("span_end", "span_id", id, "status", "ok");
  }

  @Test
  void buildsANestedTreeWithDepthsAndDurations() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    List.of(start("r", null, "flow"), start("a", "r", "a"), start("b", "a", "b"), end("b"), end("a"),
        start("c", "r", "c"), event("span_log", "span_id", "c", "message", "hello"), end("c"), end("r"),
        event("output", "value", Map.of("ok", true)), event("run_end", "status", "succeeded"))
        .forEach(a::accept);
    TraceSnapshot snap = a.snapshot();
    assertEquals(List.of("flow", "a", "b", "c"), snap.spans().stream().map(Span::getName).toList());
    assertEquals(List.of(0, 1, 2, 1), SpanTrees.depths(snap.spans()));
    assertEquals("1970-01-01T00:16:41.000Z", snap.traceStartTime(), "the root started first, at ts 1001");
    assertEquals(List.of(0L, 1000L, 2000L, 5000L), snap.spans().stream().map(Span::getStartOffsetMs).toList());
    assertEquals(List.of("hello"), snap.spans().get(3).getLogs());
    assertEquals(1000L, snap.spans().get(2).getDurationMs()); // b: seq 3 -> 4, one second apart
    assertEquals("Ok", snap.spans().get(0).getStatus());
    assertTrue(snap.output().get("ok").asBoolean());
    assertEquals("succeeded", a.runStatus());
    assertEquals(4, snap.spanCount());
  }

  @Test
  void onlyEndsCountAsEndings() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    List.of(start("r", null, "flow"), start("a", "r", "a"), event("span_tag", "span_id", "a", "tags", Map.of("k", "v")),
        event("span_log", "span_id", "a", "message", "working"), event("tokens", "span_id", "a", "input_tokens", 3, "output_tokens", 1, "model", "m"))
        .forEach(a::accept);
    assertEquals(0, a.endings(), "starts, tags, logs and tokens add to open spans");
    a.accept(end("a"));
    assertEquals(1, a.endings());
    a.accept(end("a"));
    assertEquals(1, a.endings(), "a second end of the same span is a violation, not an ending");
    a.accept(end("r"));
    a.accept(event("run_end", "status", "succeeded"));
    assertEquals(3, a.endings());
  }

  @Test
  void seqIsAnIntegrityCheckNotADedupeKey() {
    // The log reader never feeds a line twice; if a stream repeats events anyway they are applied in
    // arrival order, first-wins for spans and latest-wins for tokens, and the broken order is counted.
    List<String> lines = List.of(start("r", null, "flow"), event("span_log", "span_id", "r", "message", "once"),
        event("tokens", "span_id", "r", "input_tokens", 10, "output_tokens", 5, "model", "m"), end("r"));
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    lines.forEach(a::accept);
    assertEquals(0, a.snapshot().violations());
    long version = a.version();
    lines.forEach(a::accept);
    assertTrue(a.version() > version, "the repeated lines changed the violation count");
    TraceSnapshot snap = a.snapshot();
    assertEquals(List.of("once", "[herologic] event out of sequence: expected 5, got 1",
        "[herologic] span_start for span " + hex("r") + ", which already started: ignored", "once",
        "[herologic] span_end for span " + hex("r") + ", which already ended: ignored"), snap.spans().get(0).getLogs());
    assertEquals(15, snap.tokens().getTotal());
    assertEquals(1, snap.spans().size());
    assertEquals(3, snap.violations());
    assertEquals("event out of sequence: expected 5, got 1", snap.firstViolation());
  }

  @Test
  void outOfOrderEventsStillMakeTheSameTree() {
    String root = start("r", null, "flow");
    String child = start("c", "r", "child");
    String childEnd = event("span_end", "span_id", "c", "status", "error",
        "error", Map.of("type", "ValueError", "message", "bad", "traceback", "Traceback...\nValueError: bad"));
    String rootEnd = end("r");
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    for (String line : List.of(childEnd, rootEnd, child, root)) {
      a.accept(line);
    }
    TraceSnapshot snap = a.snapshot();
    assertEquals(List.of("flow", "child"), snap.spans().stream().map(Span::getName).toList());
    assertEquals("Error", snap.spans().get(1).getStatus());
    assertEquals("ValueError", snap.spans().get(1).getError().getType());
    assertEquals(List.of(0, 1), SpanTrees.depths(snap.spans()));
    assertTrue(snap.violations() >= 3, "out-of-order seq and ends before starts are counted: " + snap.violations());
  }

  @Test
  void garbageLinesAreRootLogsAndNeverThrow() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept("printed before the flow started");
    a.accept(start("r", null, "flow"));
    a.accept(SpanEvent.MARKER + "{not json");
    a.accept(SpanEvent.MARKER + "[1,2,3]");
    a.accept(SpanEvent.MARKER + "{\"seq\": \"x\", \"type\": 5}");
    a.accept("\u0000\u0001 binary \uFFFF");
    a.accept(event("some_future_event", "span_id", "r"));
    a.accept("");
    a.accept(null);
    List<String> logs = a.snapshot().spans().get(0).getLogs();
    assertEquals("printed before the flow started", logs.get(0));
    assertTrue(logs.contains(SpanEvent.MARKER + "{not json"));
    assertTrue(logs.contains("\u0000\u0001 binary \uFFFF"));
    assertEquals(1, a.snapshot().spans().size());
  }

  @Test
  void aParentCycleEndsAndDepthIsCappedAt32() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(start("x", "y", "x"));
    a.accept(start("y", "x", "y"));
    String parent = null;
    for (int i = 0; i < 50; i++) {
      a.accept(start("d" + i, parent, "deep" + i));
      parent = "d" + i;
    }
    TraceSnapshot snap = a.snapshot();
    assertEquals(52, snap.spans().size(), "every span is listed once, cycle included");
    assertEquals(32, SpanTrees.depths(snap.spans()).stream().mapToInt(Integer::intValue).max().orElseThrow());
    assertTrue(snap.spans().stream().map(Span::getName).toList().containsAll(List.of("x", "y")));
  }

  @Test
  void theBudgetBoundsSpansLogsAndValuesAndCountsWhatItDropped() {
    TraceLimits small = new TraceLimits(10, 2048, 8, 64 * 1024, 512, 1024);
    SpanAssembler a = new SpanAssembler(small);
    a.accept(start("r", null, "flow"));
    for (int i = 0; i < 100; i++) {
      a.accept(event("span_log", "span_id", "r", "message", "line " + i));
    }
    for (int i = 0; i < 30; i++) {
      a.accept(start("s" + i, "r", "s" + i));
      a.accept(event("span_tag", "span_id", "s" + i, "tags", Map.of("big", "x".repeat(5000))));
    }
    a.accept(event("output", "value", "y".repeat(10_000)));
    TraceSnapshot snap = a.snapshot();
    assertEquals(10, snap.spans().size());
    assertEquals(31, snap.spanCount());
    assertEquals(21, snap.dropped().getSpans());
    List<String> logs = snap.spans().get(0).getLogs();
    assertEquals("line 0", logs.get(0));
    assertEquals("line 99", logs.get(logs.size() - 1));
    assertTrue(logs.contains("… 92 log lines dropped …"), logs.toString());
    assertEquals(92, snap.dropped().getLogs());
    assertTrue(snap.spans().get(1).getTags().get("big").asText().endsWith("bytes cut]"));
    assertTrue(snap.output().asText().length() <= 512);
    assertTrue(snap.dropped().getBytes() > 10_000);
  }

  @Test
  void anLlmSpansPromptAndReplyKeepTheirShareBesideSmallTags() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(start("r", null, "flow"));
    // As the SDK records them (flows/herologic/llm.py): contents cut to 12 Ki and 8 Ki characters.
    List<Map<String, String>> prompt = List.of(Map.of("role", "system", "content", "s".repeat(1500)),
        Map.of("role", "user", "content", "stub line\n".repeat(1050)));
    List<Map<String, String>> reply = List.of(Map.of("role", "assistant", "content", "r".repeat(8 * 1024)));
    Map<String, Object> tags = new java.util.LinkedHashMap<>();
    for (String key : List.of("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
        "herologic.purpose", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons")) {
      tags.put(key, "small value of " + key);
    }
    tags.put("gen_ai.input.messages", prompt);
    tags.put("gen_ai.output.messages", reply);
    for (String kind : List.of("llm", "step")) {
      a.accept(event("span_start", "span_id", kind, "parent_id", "r", "name", kind, "kind", kind, "tags", tags));
    }
    TraceSnapshot snap = a.snapshot();
    JsonNode llm = snap.spans().stream().filter(s -> s.getName().equals("llm")).findFirst().orElseThrow().getTags();
    assertEquals(JSON.valueToTree(prompt), llm.get("gen_ai.input.messages"), "the whole prompt, still a list of messages");
    assertEquals(JSON.valueToTree(reply), llm.get("gen_ai.output.messages"));
    assertEquals("small value of herologic.purpose", llm.get("herologic.purpose").asText());
    // An ordinary span has half the room: the small tags stay whole, the two large ones share the rest.
    JsonNode step = snap.spans().stream().filter(s -> s.getName().equals("step")).findFirst().orElseThrow().getTags();
    assertEquals("small value of herologic.purpose", step.get("herologic.purpose").asText());
    String cutPrompt = step.get("gen_ai.input.messages").asText();
    assertTrue(cutPrompt.endsWith("bytes cut]") && cutPrompt.length() > 6000, cutPrompt.length() + " chars");
  }

  @Test
  void tenThousandSpansStayWithinTheDefaultBudget() throws Exception {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(start("r", null, "flow"));
    for (int i = 0; i < 10_000; i++) {
      a.accept(start("s" + i, "r", "step " + i));
      a.accept(event("span_log", "span_id", "s" + i, "message", "working on " + i));
      a.accept(end("s" + i));
    }
    TraceSnapshot snap = a.snapshot();
    long bytes = JSON.writeValueAsBytes(snap.spans()).length;
    assertTrue(bytes <= TraceLimits.DEFAULT.maxTotalSpanBytes(), "spans take " + bytes + " bytes");
    assertEquals(10_001, snap.spanCount());
    assertEquals(10_001 - snap.spans().size(), snap.dropped().getSpans());
    assertFalse(snap.spans().isEmpty());
  }

  @Test
  void tokensComeFromTokenEventsElseFromGenAiTags() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(start("r", null, "flow"));
    a.accept(event("span_start", "span_id", "l1", "parent_id", "r", "name", "chat", "kind", "llm",
        "tags", Map.of("gen_ai.usage.input_tokens", 100, "gen_ai.usage.output_tokens", 20)));
    a.accept(event("tokens", "span_id", "l1", "input_tokens", 100, "output_tokens", 20, "model", "m"));
    a.accept(event("span_start", "span_id", "l2", "parent_id", "r", "name", "chat", "kind", "llm",
        "tags", Map.of("gen_ai.usage.input_tokens", 7, "gen_ai.usage.output_tokens", 3)));
    TraceSnapshot snap = a.snapshot();
    assertEquals(107, snap.tokens().getInput());
    assertEquals(23, snap.tokens().getOutput());
    assertEquals(130, snap.tokens().getTotal());
  }

  @Test
  void aSpanEndSeenWithoutItsStartIsShownNotLost() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(end("ghost"));
    Span span = a.snapshot().spans().get(0);
    assertTrue(span.getName().contains("not started"));
    assertNull(span.getStartOffsetMs());
    assertNull(a.snapshot().traceStartTime(), "no span said when it started");
    List<String> ids = new ArrayList<>();
    a.snapshot().spans().forEach(s -> ids.add(s.getId()));
    assertEquals(List.of(hex("ghost")), ids);
    assertEquals(1, a.snapshot().violations(), "a span_end for a span that never started");
  }
}
