package io.herologic.operator.trace;

import static io.herologic.operator.trace.SpanAssemblerTest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.Span;
import io.herologic.operator.it.SpanTrees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The event stream is written by flow code and whatever it starts: every line here is one a hostile
 * writer could send (flows/PROTOCOL.md, "Readers treat the stream as hostile").
 */
class HostileStreamTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Shared with flows/tests/test_hostile_stream.py, so the Java and the Python reader cannot drift. */
  private static final Path FIXTURES = Path.of("..", "flows", "tests", "data");
  private static final String ROOT = hex("root");
  private long seq;

  private String line(long seq, String type, Object... fields) {
    return EventLines.line(seq, 1000.0 + (seq % 1000), type, fields);
  }

  /** The runner's next event, with the next honest seq. */
  private String next(String type, Object... fields) {
    return line(++seq, type, fields);
  }

  private String start(String id, String parent, String name) {
    return next("span_start", "span_id", id, "parent_id", parent, "name", name, "kind", "step", "tags", Map.of());
  }

  private SpanAssembler started() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(next("run_start", "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", "flow", "f", "inputs", Map.of()));
    a.accept(start(ROOT, null, "flow"));
    return a;
  }

  private static List<String> violationLines(Span span) {
    return span.getLogs() == null ? List.of() : span.getLogs().stream().filter(l -> l.startsWith(Violations.PREFIX)).toList();
  }

  @ParameterizedTest
  @ValueSource(strings = {"hostile_stream", "hostile_stream_random"})
  void theSharedFixturesGiveTheExpectedTrace(String fixture) throws Exception {
    // hostile_stream: one line per rule; hostile_stream_random: 227 seeded honest and hostile lines
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    Files.readAllLines(FIXTURES.resolve(fixture + ".txt")).forEach(a::accept);
    JsonNode expected = JSON.readTree(FIXTURES.resolve(fixture + ".expected.json").toFile());
    // compared as JSON text: the tree types of numbers (int or long) do not matter
    assertEquals(expected.toPrettyString(), JSON.readTree(JSON.writeValueAsString(summary(a))).toPrettyString());
    assertEquals(a.recountRetainedBytes(), a.retainedBytes());
  }

  /** The shape test_hostile_stream.py builds from the Python reader. */
  private static JsonNode summary(SpanAssembler a) {
    TraceSnapshot snap = a.snapshot();
    ObjectNode out = JSON.createObjectNode();
    out.put("traceId", a.traceId());
    out.put("runStatus", a.runStatus());
    out.set("output", snap.output());
    out.set("error", snap.error() == null ? null : JSON.valueToTree(snap.error()));
    out.putObject("tokens").put("input", snap.tokens().getInput()).put("output", snap.tokens().getOutput());
    out.putObject("dropped").put("spans", snap.dropped().getSpans()).put("logs", snap.dropped().getLogs())
        .put("bytes", snap.dropped().getBytes());
    out.put("violations", snap.violations());
    out.put("firstViolation", snap.firstViolation());
    out.put("traceStartTime", snap.traceStartTime());
    ArrayNode spans = out.putArray("spans");
    List<Integer> depths = SpanTrees.depths(snap.spans()); // derived from the order, as every reader of status does
    for (Span s : snap.spans()) {
      ObjectNode span = spans.addObject();
      span.put("id", s.getId());
      span.put("parentId", s.getParentId());
      span.put("name", s.getName());
      span.put("kind", s.getKind());
      span.put("status", s.getStatus());
      span.put("depth", depths.get(spans.size() - 1));
      span.put("startOffsetMs", s.getStartOffsetMs());
      span.set("tags", s.getTags() == null || s.getTags().isEmpty() ? null : s.getTags());
      ArrayNode logs = span.putArray("logs");
      if (s.getLogs() != null) {
        s.getLogs().forEach(logs::add);
      }
    }
    return out;
  }

  @Test
  void aSeqNear2To31Or2To63AllocatesNothingByItsValue() {
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heapBefore = rt.totalMemory() - rt.freeMemory();
    SpanAssembler a = started();
    long before = a.retainedBytes();
    a.accept(line(Integer.MAX_VALUE - 1, "span_log", "span_id", ROOT, "message", "near 2^31"));
    a.accept(line(Long.MAX_VALUE, "span_log", "span_id", ROOT, "message", "near 2^63"));
    a.accept(line(Long.MIN_VALUE, "span_log", "span_id", ROOT, "message", "negative"));
    a.accept(next("span_log", "span_id", ROOT, "message", "the runner's own next line"));
    long heapAfter = rt.totalMemory() - rt.freeMemory();
    long grew = a.retainedBytes() - before;
    assertTrue(grew < 4096, "four short log lines (and violation lines) took " + grew + " bytes");
    assertTrue(heapAfter - heapBefore < 64L * 1024 * 1024, "the heap grew by " + (heapAfter - heapBefore));
    TraceSnapshot snap = a.snapshot();
    List<String> logs = snap.spans().get(0).getLogs();
    assertTrue(logs.containsAll(List.of("near 2^31", "near 2^63", "negative", "the runner's own next line")), logs.toString());
    assertEquals(4, snap.violations());
    assertEquals("event out of sequence: expected 3, got 2147483646", snap.firstViolation());
    assertTrue(logs.contains("[herologic] event out of sequence: expected 3, got 2147483646"), logs.toString());
  }

  @Test
  void forgedNextSeqLinesDoNotHideTheRunnersGenuineOutcome() {
    SpanAssembler a = started();
    // The flow writes straight to the event fd, claiming the seqs the runner will use next.
    long forged = seq;
    a.accept(line(++forged, "output", "value", Map.of("forged", true)));
    a.accept(line(++forged, "error", "error", Map.of("type", "Forged", "message", "by the flow", "traceback", "")));
    a.accept(line(++forged, "span_end", "span_id", ROOT, "status", "ok"));
    // Then the runner's own events, with the seqs it believes come next.
    a.accept(next("span_end", "span_id", ROOT, "status", "error",
        "error", Map.of("type", "ValueError", "message", "genuine", "traceback", "Traceback...")));
    a.accept(next("error", "error", Map.of("type", "ValueError", "message", "genuine", "traceback", "Traceback...")));
    a.accept(next("run_end", "status", "failed", "duration_s", 1.0));
    TraceSnapshot snap = a.snapshot();
    assertEquals("ValueError", snap.error().getType());
    assertEquals("genuine", snap.error().getMessage());
    assertNull(snap.output(), "the forged output of a failed run is discarded");
    assertEquals("failed", a.runStatus());
    assertEquals("Ok", snap.spans().get(0).getStatus(), "the first span_end wins; the runner's later one is a violation");
    assertTrue(snap.violations() >= 3, "counted: " + snap.violations());
  }

  @Test
  void aSecondSpanStartNeitherRenamesNorReparentsAndASecondEndIsIgnored() {
    SpanAssembler a = started();
    String child = hex("child");
    a.accept(start(child, ROOT, "genuine"));
    a.accept(next("span_start", "span_id", child, "parent_id", null, "name", "renamed", "kind", "flow", "tags", Map.of("x", 1)));
    a.accept(next("span_start", "span_id", ROOT, "parent_id", child, "name", "root renamed", "kind", "step", "tags", Map.of()));
    a.accept(next("span_end", "span_id", child, "status", "ok"));
    a.accept(next("span_end", "span_id", child, "status", "error", "error", Map.of("type", "Forged", "message", "", "traceback", "")));
    TraceSnapshot snap = a.snapshot();
    Span root = snap.spans().get(0);
    Span kid = snap.spans().get(1);
    assertEquals("flow", root.getName());
    assertNull(root.getParentId());
    assertEquals("genuine", kid.getName());
    assertEquals(ROOT, kid.getParentId());
    assertEquals("step", kid.getKind());
    assertNull(kid.getTags());
    assertEquals("Ok", kid.getStatus());
    assertNull(kid.getError());
    assertEquals(3, snap.violations());
  }

  @Test
  void fifteenThousandSpanStartsKeepAtMostTheCapAndCountTheRest() {
    SpanAssembler a = started();
    for (int i = 0; i < 15_000; i++) {
      a.accept(start(String.format("%016x", 0x1000 + i), ROOT, "s" + i));
      a.accept(next("span_log", "span_id", String.format("%016x", 0x1000 + i), "message", "line " + i));
    }
    TraceSnapshot snap = a.snapshot();
    assertEquals(15_001, snap.spanCount());
    assertTrue(a.recountRetainedBytes() <= TraceLimits.MAX_HELD_BYTES + 64 * 1024, "held " + a.retainedBytes());
    long tracked = snap.spanCount() - 5_001; // the 10,000 tracked ones, the root included
    assertEquals(TraceLimits.MAX_TRACKED_SPANS, tracked);
    assertEquals(15_001 - snap.spans().size(), snap.dropped().getSpans());
    assertTrue(snap.dropped().getLogs() >= 5_001, "logs of untracked spans are counted: " + snap.dropped().getLogs());
    assertEquals(0, snap.violations());
    assertEquals(a.recountRetainedBytes(), a.retainedBytes());
  }

  @Test
  void aTenMegabyteTagIsCutOnMergeNotWhenTheSnapshotIsCut() {
    SpanAssembler a = started();
    long before = a.retainedBytes();
    a.accept(next("span_tag", "span_id", ROOT, "tags", Map.of("huge", "x".repeat(10_000_000))));
    a.accept(next("span_log", "span_id", ROOT, "message", "y".repeat(1_000_000)));
    long grew = a.retainedBytes() - before;
    assertTrue(grew <= 2 * TraceLimits.DEFAULT.maxTextBytes() + 1024, "one tag and one log line hold " + grew + " bytes");
    assertEquals(a.recountRetainedBytes(), a.retainedBytes());
    TraceSnapshot snap = a.snapshot();
    assertTrue(snap.spans().get(0).getTags().get("huge").asText().endsWith("bytes cut]"));
    assertTrue(snap.dropped().getBytes() >= 10_000_000 + 1_000_000 - 2 * TraceLimits.DEFAULT.maxTextBytes(), "cut: " + snap.dropped().getBytes());
  }

  @Test
  void theHeldBytesOfAPlayStopAtTheCeilingWhateverItsSpansSay() {
    SpanAssembler a = started();
    String big = "z".repeat(16_000);
    for (int i = 0; i < 2_000; i++) {
      String id = String.format("%016x", 0x1000 + i);
      a.accept(start(id, ROOT, "s" + i));
      a.accept(next("span_tag", "span_id", id, "tags", Map.of("a", big, "b", big, "c", big, "d", big)));
    }
    assertTrue(a.retainedBytes() <= TraceLimits.MAX_HELD_BYTES + 2 * (2L * TraceLimits.DEFAULT.maxSpanBytes() + 1024),
        "held " + a.retainedBytes());
    assertEquals(a.recountRetainedBytes(), a.retainedBytes());
    TraceSnapshot snap = a.snapshot();
    assertEquals(2_001, snap.spanCount());
    assertTrue(snap.dropped().getSpans() > 0);
    // The genuine outcome still lands after the ceiling was reached.
    a.accept(next("output", "value", Map.of("done", true)));
    a.accept(next("run_end", "status", "succeeded"));
    assertTrue(a.snapshot().output().get("done").asBoolean());
  }

  @Test
  void aOneMegabyteErrorTypeIsCut() {
    SpanAssembler a = started();
    String type = "E".repeat(1_000_000);
    a.accept(next("span_end", "span_id", ROOT, "status", "error", "error", Map.of("type", type, "message", "m", "traceback", "t")));
    a.accept(next("error", "error", Map.of("type", type, "message", "m", "traceback", "t")));
    a.accept(next("run_end", "status", "failed"));
    TraceSnapshot snap = a.snapshot();
    assertTrue(snap.error().getType().length() <= TraceLimits.MAX_NAME_BYTES, "run error type " + snap.error().getType().length());
    assertTrue(snap.spans().get(0).getError().getType().length() <= TraceLimits.MAX_NAME_BYTES);
    assertTrue(a.retainedBytes() < 64 * 1024, "held " + a.retainedBytes());
    assertTrue(snap.dropped().getBytes() >= 2 * (1_000_000 - TraceLimits.MAX_NAME_BYTES));
  }

  @Test
  void tokenCountsMustBeNonNegativeIntegersAndAreClamped() {
    SpanAssembler a = started();
    String llm = hex("llm");
    a.accept(start(llm, ROOT, "chat"));
    a.accept(next("tokens", "span_id", llm, "input_tokens", 1L << 62, "output_tokens", 3));
    assertEquals(TraceLimits.MAX_TOKENS + 3, a.snapshot().tokens().getTotal());
    a.accept(next("tokens", "span_id", llm, "input_tokens", -5, "output_tokens", 3));
    a.accept(next("tokens", "span_id", llm, "input_tokens", 1.5, "output_tokens", 3));
    a.accept(next("tokens", "span_id", llm, "input_tokens", "7", "output_tokens", 3));
    a.accept(next("tokens", "span_id", llm, "input_tokens", 7, "output_tokens", new java.math.BigInteger("1" + "0".repeat(30))));
    TraceSnapshot snap = a.snapshot();
    assertEquals(7, snap.tokens().getInput());
    assertEquals(TraceLimits.MAX_TOKENS, snap.tokens().getOutput());
    assertEquals(5, snap.violations());
    // gen_ai.usage tags are checked the same way
    String tagged = hex("tagged");
    a.accept(next("span_start", "span_id", tagged, "parent_id", ROOT, "name", "chat", "kind", "llm",
        "tags", Map.of("gen_ai.usage.input_tokens", -100, "gen_ai.usage.output_tokens", 1L << 62)));
    assertEquals(7, a.snapshot().tokens().getInput());
    assertEquals(2 * TraceLimits.MAX_TOKENS, a.snapshot().tokens().getOutput());
  }

  @Test
  void linesOfAnotherProtocolVersionAreNotApplied() {
    SpanAssembler a = started();
    a.accept(next("span_log", "span_id", ROOT, "message", "v1"));
    String line = next("span_start", "span_id", hex("v2"), "parent_id", ROOT, "name", "v2", "kind", "step", "tags", Map.of());
    a.accept(line.replace("\"v\":1", "\"v\":2"));
    a.accept(next("span_log", "span_id", ROOT, "message", "no v").replace("\"v\":1,", ""));
    TraceSnapshot snap = a.snapshot();
    assertEquals(1, snap.spans().size());
    assertEquals(List.of("v1"), snap.spans().get(0).getLogs().stream().filter(l -> !l.startsWith(Violations.PREFIX)).toList());
    assertEquals(2, snap.violations());
    assertEquals("event with protocol version '2' not applied", snap.firstViolation());
  }

  @Test
  void nothingIsAppliedAfterRunEnd() {
    SpanAssembler a = started();
    a.accept(next("span_end", "span_id", ROOT, "status", "ok"));
    a.accept(next("output", "value", "genuine"));
    a.accept(next("run_end", "status", "succeeded"));
    a.accept(next("output", "value", "late"));
    a.accept(next("error", "error", Map.of("type", "Late", "message", "", "traceback", "")));
    a.accept(next("span_start", "span_id", hex("late"), "parent_id", ROOT, "name", "late", "kind", "step", "tags", Map.of()));
    a.accept(next("run_end", "status", "failed"));
    TraceSnapshot snap = a.snapshot();
    assertEquals("genuine", snap.output().asText());
    assertNull(snap.error());
    assertEquals("succeeded", a.runStatus());
    assertEquals(1, snap.spans().size());
    assertEquals(4, snap.violations());
  }

  @Test
  void aFloodOfViolationsIsCountedButLogsOnlyAFewLines() {
    SpanAssembler a = started();
    for (int i = 0; i < 5_000; i++) {
      a.accept(next("span_log", "span_id", "not-an-id-" + i, "message", "x"));
    }
    TraceSnapshot snap = a.snapshot();
    assertEquals(5_000, snap.violations());
    assertEquals(TraceLimits.MAX_VIOLATION_LOGS + 1, violationLines(snap.spans().get(0)).size());
    assertEquals("span_log with span_id 'not-an-id-0', not 16 lowercase hex digits: not applied", snap.firstViolation());
    assertTrue(a.retainedBytes() < 16 * 1024, "held " + a.retainedBytes());
  }

  @Test
  void idsMustBeLowercaseHexOfTheRightLength() {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(next("run_start", "trace_id", "../../etc/passwd", "flow", "f", "inputs", Map.of()));
    a.accept(start(ROOT, null, "flow"));
    a.accept(start(ROOT.toUpperCase().replace('0', 'A'), ROOT, "upper"));
    a.accept(start("abc", ROOT, "short"));
    a.accept(start(hex("ok"), "x".repeat(100_000), "bad parent"));
    TraceSnapshot snap = a.snapshot();
    assertNull(a.traceId());
    assertEquals(1, snap.spans().size());
    assertEquals(4, snap.violations());
    assertTrue(violationLines(snap.spans().get(0)).stream().allMatch(l -> l.length() < 200), "quoted ids are cut");
  }

  @Test
  void malformedMarkerLinesArePlainLinesAndNeverThrow() {
    SpanAssembler a = started();
    a.accept(SpanEvent.MARKER + "[".repeat(100_000) + "]".repeat(100_000));
    String trailing = next("span_start", "span_id", hex("trailing"), "parent_id", ROOT, "name", "t", "kind", "step", "tags", Map.of()) + " {}";
    seq--; // the runner never wrote that line
    a.accept(trailing);
    a.accept(next("span_log", "span_id", ROOT, "message", "still reading"));
    List<String> logs = a.snapshot().spans().get(0).getLogs();
    assertEquals(1, a.snapshot().spans().size(), "trailing tokens make a line no event");
    assertEquals(List.of(trailing, "still reading"), logs.subList(logs.size() - 2, logs.size()));
    assertTrue(logs.get(logs.size() - 3).startsWith(SpanEvent.MARKER + "[[["), logs.toString());
    // nesting: the event object and its tags are two levels, so 498 arrays reach the limit of 500
    String nested = "{\"v\":1,\"seq\":%d,\"ts\":1,\"type\":\"span_tag\",\"span_id\":\"" + ROOT + "\",\"tags\":{\"%s\":%s}}";
    a.accept(SpanEvent.MARKER + String.format(nested, ++seq, "at", "[".repeat(498) + "]".repeat(498)));
    String over = SpanEvent.MARKER + String.format(nested, seq + 1, "over", "[".repeat(499) + "]".repeat(499));
    a.accept(over);
    assertTrue(a.snapshot().spans().get(0).getTags().has("at"));
    assertFalse(a.snapshot().spans().get(0).getTags().has("over"));
    assertTrue(a.snapshot().spans().get(0).getLogs().contains(over));
    assertEquals(0, a.snapshot().violations());
  }

  @Test
  void absurdTimestampsDoNotBreakTheSnapshot() {
    SpanAssembler a = started();
    String id = hex("t");
    a.accept(line(++seq, "span_start", "span_id", id, "parent_id", ROOT, "name", "t", "kind", "step", "tags", Map.of()).replace("\"ts\":" , "\"ts\":1e300,\"x\":"));
    a.accept(next("span_end", "span_id", id, "status", "ok"));
    TraceSnapshot snap = a.snapshot();
    assertEquals(2, snap.spans().size());
    assertNull(snap.spans().get(1).getStartOffsetMs());
    assertEquals(0L, snap.spans().get(0).getStartOffsetMs());
    assertEquals(1, snap.violations());
  }
}
