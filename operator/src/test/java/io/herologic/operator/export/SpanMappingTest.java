package io.herologic.operator.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.herologic.model.Play;
import io.herologic.operator.export.SpanMapping.PlaySpanData;
import io.herologic.operator.trace.FinishedSpan;
import io.herologic.operator.trace.EventLines;
import io.herologic.operator.trace.SpanAssembler;
import io.herologic.operator.trace.TraceLimits;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.EventData;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Spans from a real event stream through the assembler's listener, mapped to OpenTelemetry. */
class SpanMappingTest {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String ROOT = "1000000000000001";
  static final String LLM = "1000000000000002";
  static final String STUCK = "1000000000000003";
  private long seq;

  private String event(String type, Object... fields) {
    ++seq;
    return EventLines.line(seq, 1700000000.0 + seq, type, fields);
  }

  static Play play(String traceparent) {
    return play("hello-1", traceparent);
  }

  static Play play(String name, String traceparent) {
    Play play = new Play();
    var meta = new ObjectMetaBuilder().withName(name).withNamespace("team-a");
    if (traceparent != null) {
      meta.addToAnnotations(TraceParent.ANNOTATION, traceparent);
    }
    play.setMetadata(meta.build());
    play.getSpec().setWorkflow("hello");
    play.getStatus().setTraceId(TRACE);
    play.getStatus().setFlowName("hello-flow");
    play.getStatus().setWorkflowVersion("hello-v1");
    play.getStatus().setDigest("sha256:abc");
    return play;
  }

  private List<FinishedSpan> run(TraceLimits limits) {
    List<FinishedSpan> finished = new ArrayList<>();
    SpanAssembler a = new SpanAssembler(limits, finished::add);
    List.of(
        event("run_start", "trace_id", "ffffffffffffffffffffffffffffffff"), // the flow's word; the Play's trace id wins
        event("span_start", "span_id", ROOT, "name", "hello", "kind", "flow", "tags", Map.of()),
        event("span_start", "span_id", LLM, "parent_id", ROOT, "name", "chat", "kind", "llm",
            "tags", Map.of("gen_ai.operation.name", "chat", "gen_ai.request.model", "m1", "herologic.params", Map.of("a", 1))),
        event("span_log", "span_id", LLM, "message", "asking"),
        event("tokens", "span_id", LLM, "input_tokens", 12, "output_tokens", 34),
        event("span_end", "span_id", LLM, "status", "error",
            "error", Map.of("type", "ValueError", "message", "bad answer", "traceback", "Traceback ...")),
        event("span_start", "span_id", STUCK, "parent_id", ROOT, "name", "never-ends", "kind", "step", "tags", Map.of()),
        event("span_end", "span_id", ROOT, "status", "ok"))
        .forEach(a::accept);
    a.endUnfinished(1700000100.0);
    a.endUnfinished(1700000200.0); // once only
    return finished;
  }

  private static PlaySpanData mapped(List<FinishedSpan> spans, String id, Play play) {
    FinishedSpan span = spans.stream().filter(s -> s.spanId().equals(id)).findFirst().orElseThrow();
    return SpanMapping.toSpanData(span, PlayTraceContext.of(play, "hello-1-pod")).orElseThrow();
  }

  @Test
  void everySpanOnceInTheOrderItFinishedWithTheLineThatFinishedIt() {
    List<FinishedSpan> spans = run(TraceLimits.DEFAULT);
    assertEquals(List.of(LLM, ROOT, STUCK), spans.stream().map(FinishedSpan::spanId).toList());
    assertEquals(List.of(6L, 8L, 8L), spans.stream().map(FinishedSpan::line).toList());
    assertEquals(List.of(false, false, true), spans.stream().map(FinishedSpan::endedByOperator).toList());
  }

  @Test
  void spansBeyondTheStatusBudgetAreStillExported() {
    // Status keeps 1 span here; the listener still hears of all three.
    List<FinishedSpan> spans = run(new TraceLimits(1, 32 * 1024, 64, 768 * 1024, 128 * 1024, 16 * 1024));
    assertEquals(3, spans.size());
  }

  @Test
  void mapsIdsTimesAttributesEventsAndResource() {
    List<FinishedSpan> spans = run(TraceLimits.DEFAULT);
    Play play = play(null);
    PlaySpanData llm = mapped(spans, LLM, play);
    assertEquals(TRACE, llm.getTraceId());
    assertEquals(LLM, llm.getSpanId());
    assertEquals(ROOT, llm.getParentSpanId());
    assertEquals(SpanKind.CLIENT, llm.getKind());
    assertEquals(1700000003_000_000_000L, llm.getStartEpochNanos());
    assertEquals(1700000006_000_000_000L, llm.getEndEpochNanos());
    assertEquals(StatusCode.ERROR, llm.getStatus().getStatusCode());
    assertEquals("ValueError: bad answer", llm.getStatus().getDescription());
    var attributes = llm.getAttributes();
    assertEquals("chat", attributes.get(AttributeKey.stringKey("gen_ai.operation.name")));
    assertEquals(12L, attributes.get(AttributeKey.longKey("gen_ai.usage.input_tokens")));
    assertEquals(34L, attributes.get(AttributeKey.longKey("gen_ai.usage.output_tokens")));
    assertEquals("{\"a\":1}", attributes.get(AttributeKey.stringKey("herologic.params")));
    assertEquals("llm", attributes.get(AttributeKey.stringKey("herologic.span.kind")));
    List<EventData> events = llm.getEvents();
    assertEquals(List.of("log", "exception"), events.stream().map(EventData::getName).toList());
    assertEquals("asking", events.get(0).getAttributes().get(AttributeKey.stringKey("message")));
    assertEquals("ValueError", events.get(1).getAttributes().get(AttributeKey.stringKey("exception.type")));
    assertEquals("Traceback ...", events.get(1).getAttributes().get(AttributeKey.stringKey("exception.stacktrace")));
    var resource = llm.getResource();
    assertEquals("hello-flow", resource.getAttribute(AttributeKey.stringKey("service.name")));
    assertEquals("team-a", resource.getAttribute(AttributeKey.stringKey("k8s.namespace.name")));
    assertEquals("hello-1-pod", resource.getAttribute(AttributeKey.stringKey("k8s.pod.name")));
    assertEquals("hello-1", resource.getAttribute(AttributeKey.stringKey("herologic.play")));
    assertEquals("hello", resource.getAttribute(AttributeKey.stringKey("herologic.workflow")));
    assertEquals("hello-v1", resource.getAttribute(AttributeKey.stringKey("herologic.version")));
    assertEquals("sha256:abc", resource.getAttribute(AttributeKey.stringKey("herologic.digest")));
  }

  @Test
  void aSpanThatNeverEndedIsExportedAsAnErrorEndedAtThePlaysEnd() {
    PlaySpanData stuck = mapped(run(TraceLimits.DEFAULT), STUCK, play(null));
    assertEquals(StatusCode.ERROR, stuck.getStatus().getStatusCode());
    assertEquals(1700000100_000_000_000L, stuck.getEndEpochNanos());
    assertEquals(Boolean.TRUE, stuck.getAttributes().get(AttributeKey.booleanKey("herologic.ended_by_operator")));
  }

  @Test
  void theRootHangsUnderAValidTraceparentOfTheSameTrace() {
    List<FinishedSpan> spans = run(TraceLimits.DEFAULT);
    assertFalse(mapped(spans, ROOT, play(null)).getParentSpanContext().isValid());
    PlaySpanData root = mapped(spans, ROOT, play("00-" + TRACE + "-aaaaaaaaaaaaaaaa-01"));
    assertEquals("aaaaaaaaaaaaaaaa", root.getParentSpanId());
    assertTrue(root.getParentSpanContext().isRemote());
    // Another trace's parent (the annotation changed after launch) or an invalid one: no parent.
    assertFalse(mapped(spans, ROOT, play("00-" + "1".repeat(32) + "-aaaaaaaaaaaaaaaa-01")).getParentSpanContext().isValid());
    assertFalse(mapped(spans, ROOT, play("garbage")).getParentSpanContext().isValid());
  }
}
