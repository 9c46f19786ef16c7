package io.herologic.operator.trace;

import static io.herologic.operator.trace.SpanAssemblerTest.hex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Span;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A snapshot builds only the spans that changed since the last one; what it hands out never changes. */
class StatusSpansTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ROOT = hex("root");
  private long seq;

  private String event(double ts, String type, Object... fields) {
    return EventLines.line(++seq, ts, type, fields);
  }

  private static String child(int i) {
    return String.format("%016x", 0x1000 + i);
  }

  /** A root and {@code children} steps under it, each with a tag and a log line; the root's tags are cut. */
  private SpanAssembler trace(int children) {
    SpanAssembler a = new SpanAssembler(TraceLimits.DEFAULT);
    a.accept(event(1000.0, "span_start", "span_id", ROOT, "parent_id", null, "name", "flow", "kind", "flow",
        "tags", Map.of("big", "x".repeat(20_000))));
    for (int i = 0; i < children; i++) {
      a.accept(event(1001.0 + i, "span_start", "span_id", child(i), "parent_id", ROOT, "name", "step " + i, "kind", "step",
          "tags", Map.of("i", i)));
      a.accept(event(1001.0 + i, "span_log", "span_id", child(i), "message", "line " + i));
    }
    return a;
  }

  @Test
  void aSnapshotAfterOneNewSpanBuildsThatSpanOnly() {
    SpanAssembler a = trace(200);
    TraceSnapshot first = a.snapshot();
    assertEquals(201, a.spansBuilt());
    assertTrue(first.dropped().getBytes() > 0, "the root's big tag was cut");

    TraceSnapshot unchanged = a.snapshot();
    assertEquals(201, a.spansBuilt(), "nothing changed: nothing built");
    assertEquals(first.dropped(), unchanged.dropped(), "bytes cut from a reused span are still counted, once");
    assertEquals(first.spans(), unchanged.spans());

    a.accept(event(2000.0, "span_start", "span_id", hex("new"), "parent_id", ROOT, "name", "new", "kind", "step", "tags", Map.of()));
    TraceSnapshot next = a.snapshot();
    assertEquals(202, a.spansBuilt(), "one new span: one build, not 202");
    assertEquals(202, next.spans().size());
    for (int i = 0; i < first.spans().size(); i++) {
      assertSame(first.spans().get(i), next.spans().get(i), "an unchanged span is reused: " + first.spans().get(i).getName());
    }
    assertEquals("new", next.spans().get(201).getName());
    assertEquals(1000_000L, next.spans().get(201).getStartOffsetMs());
  }

  @Test
  void aSpanThatEndedOrGotALogLineOrATagIsBuiltAgainAndTheOldOneStaysAsItWas() {
    SpanAssembler a = trace(3);
    Span before = a.snapshot().spans().get(1);
    long built = a.spansBuilt();

    a.accept(event(1001.5, "span_end", "span_id", child(0), "status", "ok"));
    Span ended = a.snapshot().spans().get(1);
    assertEquals(built + 1, a.spansBuilt());
    assertEquals(500L, ended.getDurationMs());
    assertEquals("Ok", ended.getStatus());

    a.accept(event(1001.6, "span_log", "span_id", child(0), "message", "late line"));
    Span logged = a.snapshot().spans().get(1);
    assertEquals(built + 2, a.spansBuilt());
    assertEquals(List.of("line 0", "late line"), logged.getLogs());

    a.accept(event(1001.7, "span_tag", "span_id", child(0), "tags", Map.of("more", true)));
    Span tagged = a.snapshot().spans().get(1);
    assertEquals(built + 3, a.spansBuilt());
    assertTrue(tagged.getTags().get("more").asBoolean());

    // what earlier snapshots handed out is read outside the assembler's lock: never changed
    assertNull(before.getDurationMs());
    assertEquals("Running", before.getStatus());
    assertEquals(List.of("line 0"), before.getLogs());
    assertNull(before.getTags().get("more"));
    assertEquals(List.of("line 0", "late line"), logged.getLogs());
    assertNull(logged.getTags().get("more"));
  }

  @Test
  void anEarlierStartMovesEveryOffsetWithoutBuildingTheSpansAgain() {
    SpanAssembler a = trace(3);
    TraceSnapshot first = a.snapshot();
    long built = a.spansBuilt();
    assertEquals("1970-01-01T00:16:40.000Z", first.traceStartTime());
    assertEquals(List.of(0L, 1000L, 2000L, 3000L), first.spans().stream().map(Span::getStartOffsetMs).toList());

    a.accept(event(999.25, "span_start", "span_id", hex("early"), "parent_id", ROOT, "name", "early", "kind", "step", "tags", Map.of()));
    TraceSnapshot next = a.snapshot();
    assertEquals(built + 1, a.spansBuilt(), "only the new span is built; the others get a new offset");
    assertEquals("1970-01-01T00:16:39.250Z", next.traceStartTime());
    assertEquals(List.of(750L, 0L, 1750L, 2750L, 3750L), next.spans().stream().map(Span::getStartOffsetMs).toList());
    assertEquals(List.of(0L, 1000L, 2000L, 3000L), first.spans().stream().map(Span::getStartOffsetMs).toList(),
        "the spans handed out before keep their offsets");
  }

  @Test
  void aReOffsetSpanIsTheSpanBuiltFreshAndItsSizeIsItsJsonSize() throws Exception {
    SpanState s = new SpanState(hex("s"));
    s.started = true;
    s.parentId = ROOT;
    s.name = "call";
    s.kind = "rpc";
    s.startTs = 1_736_000_000.125;
    s.endTs = 1_736_000_002.5;
    s.status = "Error";
    s.mergeTags(JSON.readTree("{\"rpc.method\":\"list\",\"n\":3}"), TraceLimits.DEFAULT, new Bounds.Cut());
    s.log("one", TraceLimits.DEFAULT, new Bounds.Cut());
    s.setError(new ErrorInfo("ValueError", "bad", "Traceback"), TraceLimits.DEFAULT, new Bounds.Cut());
    StatusSpans spans = new StatusSpans(TraceLimits.DEFAULT);
    long start = StatusSpans.epochMillis(s.startTs);

    for (long traceStart : List.of(start, start - 7, start - 123_456_789, start)) {
      StatusSpans.Built reused = spans.of(s, traceStart);
      StatusSpans.Built fresh = new StatusSpans(TraceLimits.DEFAULT).of(s, traceStart);
      assertEquals(JSON.writeValueAsString(fresh.span()), JSON.writeValueAsString(reused.span()));
      assertEquals(Bounds.size((Object) reused.span()), reused.bytes());
    }
    assertEquals(1, spans.builds());

    SpanState notStarted = new SpanState(hex("ghost"));
    StatusSpans.Built ghost = spans.of(notStarted, start);
    assertNull(ghost.span().getStartOffsetMs());
    assertEquals(Bounds.size((Object) ghost.span()), ghost.bytes());
  }
}
