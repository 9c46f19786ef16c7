package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Pod;
import io.herologic.model.WorkflowVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * What launching a Play fixed: the exact WorkflowVersion, its digest, the flow's name and the trace
 * id. The flow Pod carries it in annotations, so the Pod records the launch until the Play's status
 * does: the reconciler writes a launched Play's status only when its Pod runs (one write instead of
 * two when the Pod starts quickly), and an operator restarted in between reads the launch back from
 * the Pod instead of resolving the Play again (its Workflow may pin another version by then).
 */
record Launch(String workflowVersion, String digest, String flowName, String traceId) {
  static final String VERSION = "herologic.io/workflow-version";
  static final String DIGEST = "herologic.io/digest";
  static final String FLOW = "herologic.io/flow-name";
  static final String TRACE_ID = "herologic.io/trace-id";
  private static final Pattern TRACE = Pattern.compile("[0-9a-f]{32}");

  static Launch of(WorkflowVersion version, String traceId) {
    return new Launch(version.getMetadata().getName(), version.getStatus().getDigest(), version.getStatus().getFlowName(), traceId);
  }

  /** The Pod's annotations; a missing value is left out (then {@link #from} finds no launch, and the Play is resolved again). */
  Map<String, String> annotations() {
    Map<String, String> annotations = new LinkedHashMap<>();
    BiConsumer<String, String> put = (key, value) -> {
      if (value != null) {
        annotations.put(key, value);
      }
    };
    put.accept(VERSION, workflowVersion);
    put.accept(DIGEST, digest);
    put.accept(FLOW, flowName);
    put.accept(TRACE_ID, traceId);
    return annotations;
  }

  /** The launch a Pod records; empty when it records none (a Pod created by an operator before this one) or a broken one. */
  static Optional<Launch> from(Pod pod) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    if (a == null || a.get(VERSION) == null || a.get(DIGEST) == null || a.get(FLOW) == null
        || a.get(TRACE_ID) == null || !TRACE.matcher(a.get(TRACE_ID)).matches()) {
      return Optional.empty();
    }
    return Optional.of(new Launch(a.get(VERSION), a.get(DIGEST), a.get(FLOW), a.get(TRACE_ID)));
  }
}
