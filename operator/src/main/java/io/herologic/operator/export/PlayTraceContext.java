package io.herologic.operator.export;

import io.herologic.model.Play;
import io.herologic.model.PlayStatus;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Optional;

/**
 * What the export needs to know about one Play besides its spans: the trace id the operator gave it
 * (status.traceId, never the one the flow's stream names), the span its root hangs under (from a
 * valid {@value TraceParent#ANNOTATION}), the OpenTelemetry resource that says which Play, flow,
 * version and Pod the spans come from, and how far an earlier operator process already exported.
 */
record PlayTraceContext(ResourceID play, Optional<String> traceId, Optional<String> rootParentSpanId, Resource resource,
    long exportedThroughLine) {

  static final AttributeKey<String> PLAY = AttributeKey.stringKey("herologic.play");
  static final AttributeKey<String> NAMESPACE = AttributeKey.stringKey("k8s.namespace.name");

  static PlayTraceContext of(Play play, String pod) {
    PlayStatus status = play.getStatus();
    Optional<String> traceId = Optional.ofNullable(status == null ? null : status.getTraceId()).filter(id -> TraceParent.isHex(id, 32));
    // The root's parent only when the annotation is valid and its trace is the Play's (the operator
    // took the annotation's trace id at launch, PlayLauncher#traceIdFor; an annotation changed later is ignored).
    Optional<String> parent = TraceParent.annotation(play).flatMap(PlayTraceContext::parsed)
        .filter(tp -> traceId.isPresent() && tp.traceId().equals(traceId.get()))
        .map(TraceParent::parentSpanId);
    String flow = status != null && status.getFlowName() != null ? status.getFlowName() : play.getSpec().getWorkflow();
    AttributesBuilder attributes = Attributes.builder()
        .put("service.name", flow)
        .put(NAMESPACE, play.getMetadata().getNamespace())
        .put("k8s.pod.name", pod)
        .put(PLAY, play.getMetadata().getName())
        .put("herologic.workflow", play.getSpec().getWorkflow());
    if (status != null && status.getWorkflowVersion() != null) {
      attributes.put("herologic.version", status.getWorkflowVersion());
    }
    if (status != null && status.getDigest() != null) {
      attributes.put("herologic.digest", status.getDigest());
    }
    return new PlayTraceContext(ResourceID.fromResource(play), traceId, parent, Resource.create(attributes.build()),
        ExportProgress.exportedThroughLine(play));
  }

  private static Optional<TraceParent> parsed(String value) {
    try {
      return Optional.of(TraceParent.parse(value));
    } catch (IllegalArgumentException invalid) {
      return Optional.empty();
    }
  }
}
