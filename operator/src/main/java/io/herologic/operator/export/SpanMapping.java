package io.herologic.operator.export;

import com.fasterxml.jackson.databind.JsonNode;
import io.herologic.model.ErrorInfo;
import io.herologic.operator.trace.FinishedSpan;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A finished span of a Play as OpenTelemetry {@link SpanData}, one to one: the runner's span and
 * parent ids, the Play's trace id, its times, status and tags. The runner already names its tags
 * after OpenTelemetry's semantic conventions ({@code gen_ai.*}, {@code rpc.*}, {@code exception.*};
 * docs/design decision "The span tree"), so tags become attributes as they are; a tag whose value
 * is an object (or a mixed array) becomes its JSON text. A span's logs become events named
 * {@value #LOG_EVENT}, its error an {@code exception} event as the conventions define it.
 */
final class SpanMapping {
  static final String LOG_EVENT = "log";
  /** The log line that finished the span: how far export got, for a successor process (ExportProgress). */
  static final AttributeKey<Long> LOG_LINE = AttributeKey.longKey("herologic.log.line");
  private static final InstrumentationScopeInfo SCOPE = InstrumentationScopeInfo.create("io.herologic.operator");

  private SpanMapping() {}

  /** The span as SpanData, or empty when the Play has no usable trace id (then it cannot join a trace). */
  static Optional<PlaySpanData> toSpanData(FinishedSpan span, PlayTraceContext play) {
    Optional<String> traceId = play.traceId().or(() -> Optional.ofNullable(span.traceId()).filter(id -> TraceParent.isHex(id, 32)));
    if (traceId.isEmpty() || !TraceParent.isHex(span.spanId(), 16)) {
      return Optional.empty();
    }
    SpanContext context = SpanContext.create(traceId.get(), span.spanId(), TraceFlags.getSampled(), TraceState.getDefault());
    long end = nanos(span.endSeconds() > 0 ? span.endSeconds() : span.startSeconds());
    long start = span.startSeconds() > 0 ? nanos(span.startSeconds()) : end;
    return Optional.of(new PlaySpanData(span.name(), kind(span.kind()), context, parent(span, play, traceId.get()),
        status(span), start, Math.max(start, end), attributes(span), events(span, start, end), play.resource(),
        play.play().getNamespace().orElse("") + "/" + play.play().getName(), span.bytes()));
  }

  private static SpanContext parent(FinishedSpan span, PlayTraceContext play, String traceId) {
    if (span.parentId() != null) {
      return SpanContext.create(traceId, span.parentId(), TraceFlags.getSampled(), TraceState.getDefault());
    }
    return play.rootParentSpanId()
        .map(id -> SpanContext.createFromRemoteParent(traceId, id, TraceFlags.getSampled(), TraceState.getDefault()))
        .orElse(SpanContext.getInvalid());
  }

  /** LLM and RPC calls leave the flow for another service: client spans; everything else runs inside it. */
  private static SpanKind kind(String kind) {
    return switch (kind) {
      case "llm", "rpc" -> SpanKind.CLIENT;
      default -> SpanKind.INTERNAL;
    };
  }

  private static StatusData status(FinishedSpan span) {
    if (span.endedByOperator()) {
      return StatusData.create(StatusCode.ERROR, "the span never ended in the flow's log; ended by the operator at the Play's end");
    }
    if (!span.error()) {
      return StatusData.ok();
    }
    ErrorInfo e = span.errorInfo();
    String description = e == null ? "" : e.getMessage() != null ? e.getType() + ": " + e.getMessage() : String.valueOf(e.getType());
    return StatusData.create(StatusCode.ERROR, description);
  }

  static Attributes attributes(FinishedSpan span) {
    AttributesBuilder b = Attributes.builder();
    if (span.tags() != null) {
      for (Iterator<Map.Entry<String, JsonNode>> it = span.tags().fields(); it.hasNext(); ) {
        var e = it.next();
        put(b, e.getKey(), e.getValue());
      }
    }
    b.put("herologic.span.kind", span.kind());
    span.tokens().ifPresent(t -> b.put("gen_ai.usage.input_tokens", t.input()).put("gen_ai.usage.output_tokens", t.output()));
    if (span.logsDropped() > 0) {
      b.put("herologic.logs_dropped", span.logsDropped());
    }
    if (span.endedByOperator()) {
      b.put("herologic.ended_by_operator", true);
    }
    b.put(LOG_LINE, span.line());
    return b.build();
  }

  private static void put(AttributesBuilder b, String key, JsonNode v) {
    if (v == null || v.isNull()) {
      return;
    }
    if (v.isTextual()) {
      b.put(key, v.textValue());
    } else if (v.isBoolean()) {
      b.put(key, v.booleanValue());
    } else if (v.isIntegralNumber() && v.canConvertToLong()) {
      b.put(key, v.longValue());
    } else if (v.isNumber()) {
      b.put(key, v.doubleValue());
    } else if (v.isArray() && allTextual(v)) {
      List<String> values = new ArrayList<>();
      v.forEach(x -> values.add(x.textValue()));
      b.put(AttributeKey.stringArrayKey(key), values);
    } else {
      b.put(key, v.toString());
    }
  }

  private static boolean allTextual(JsonNode array) {
    for (JsonNode x : array) {
      if (!x.isTextual()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The span's logs and its error as events. The assembler keeps a span's log lines without their
   * times, so every log event carries the span's start time and its place in {@code log.index}; the
   * exception event carries the end time.
   */
  private static List<EventData> events(FinishedSpan span, long start, long end) {
    List<EventData> events = new ArrayList<>(span.logs().size() + 1);
    for (int i = 0; i < span.logs().size(); i++) {
      events.add(EventData.create(start, LOG_EVENT, Attributes.builder()
          .put("message", span.logs().get(i)).put("log.index", i).build()));
    }
    ErrorInfo e = span.errorInfo();
    if (e != null) {
      AttributesBuilder b = Attributes.builder();
      putText(b, "exception.type", e.getType());
      putText(b, "exception.message", e.getMessage());
      putText(b, "exception.stacktrace", e.getTraceback());
      events.add(EventData.create(end, "exception", b.build()));
    }
    return events;
  }

  private static void putText(AttributesBuilder b, String key, String value) {
    if (value != null) {
      b.put(key, value);
    }
  }

  private static long nanos(double epochSeconds) {
    return Math.round(epochSeconds * 1_000_000) * 1_000; // microseconds: what a double of epoch seconds still holds
  }

  /**
   * One exported span; {@code play} (namespace/name) and {@code heldBytes}, what it holds in the export
   * queue, are for ExportPipeline's bounds.
   */
  record PlaySpanData(String getName, SpanKind getKind, SpanContext getSpanContext, SpanContext getParentSpanContext,
      StatusData getStatus, long getStartEpochNanos, long getEndEpochNanos, Attributes getAttributes,
      List<EventData> getEvents, Resource getResource, String play, long heldBytes) implements SpanData {

    @Override
    public List<LinkData> getLinks() {
      return List.of();
    }

    @Override
    public boolean hasEnded() {
      return true;
    }

    @Override
    public int getTotalRecordedEvents() {
      return getEvents.size();
    }

    @Override
    public int getTotalRecordedLinks() {
      return 0;
    }

    @Override
    public int getTotalAttributeCount() {
      return getAttributes.size();
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return SCOPE;
    }

    @Override
    @SuppressWarnings("deprecation") // still abstract in SpanData; the exporter reads the scope above
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
      return InstrumentationLibraryInfo.create(SCOPE.getName(), null);
    }
  }
}
