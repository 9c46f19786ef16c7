package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import io.herologic.model.FlowInput;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.model.WorkflowVersionSpec;
import io.herologic.model.WorkflowVersionStatus;
import io.herologic.operator.version.WorkflowVersionReconciler;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Workflows with their versions, as the UI lists them. A version whose Workflow does not exist
 * still shows, under an entry with {@code exists=false}, so nothing applied is invisible.
 */
public final class WorkflowViews {
  private WorkflowViews() {}

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record WorkflowView(
      String namespace, String name, boolean exists, String description, String currentVersion,
      String resolvedVersion, Boolean ready, String flowName, String digest, String created,
      List<Condition> conditions, List<VersionView> versions) {}

  /**
   * One WorkflowVersion. {@code source} says where the source came from: {@code inline}, or
   * {@code configMap} with {@code sourceRef} as "name/key"; {@code current} marks the version the
   * Workflow pins.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record VersionView(
      String namespace, String workflow, String name, boolean current, String created, String description,
      String flowName, String digest, Long sizeBytes, Boolean ready, String readyReason, String readyMessage,
      String source, String sourceRef, String sourceConfigMap, List<FlowInput> inputs, List<Condition> conditions) {}

  /** Workflows (and the names only versions mention) sorted by namespace and name, each with its versions newest first. */
  public static List<WorkflowView> list(Collection<Workflow> workflows, Collection<WorkflowVersion> versions) {
    Map<String, List<WorkflowVersion>> versionsByWorkflow = new HashMap<>();
    for (WorkflowVersion v : versions) {
      versionsByWorkflow.computeIfAbsent(key(v.getMetadata().getNamespace(), v.getSpec().getWorkflow()), k -> new ArrayList<>()).add(v);
    }
    TreeMap<String, WorkflowView> out = new TreeMap<>();
    for (Workflow w : workflows) {
      String key = key(w.getMetadata().getNamespace(), w.getMetadata().getName());
      out.put(key, view(w, versionsByWorkflow.getOrDefault(key, List.of())));
    }
    versionsByWorkflow.forEach((key, vs) -> {
      if (!out.containsKey(key)) {
        WorkflowVersion any = vs.get(0);
        out.put(key, orphan(any.getMetadata().getNamespace(), any.getSpec().getWorkflow(), vs));
      }
    });
    return List.copyOf(out.values());
  }

  public static WorkflowView view(Workflow workflow, Collection<WorkflowVersion> versions) {
    String current = workflow.getSpec().getCurrentVersion();
    var status = workflow.getStatus();
    return new WorkflowView(workflow.getMetadata().getNamespace(), workflow.getMetadata().getName(), true,
        workflow.getSpec().getDescription(), current, status == null ? null : status.getCurrentVersion(),
        status == null ? null : status.getReady(), status == null ? null : status.getFlowName(),
        status == null ? null : status.getDigest(), workflow.getMetadata().getCreationTimestamp(),
        status == null || status.getConditions() == null ? List.of() : status.getConditions(),
        versions(versions, current));
  }

  /** The versions of a workflow that does not exist (yet, or any more). */
  public static WorkflowView orphan(String namespace, String name, Collection<WorkflowVersion> versions) {
    return new WorkflowView(namespace, name, false, null, null, null, false, null, null, null, List.of(), versions(versions, null));
  }

  public static VersionView version(WorkflowVersion v, String currentVersion) {
    WorkflowVersionSpec spec = v.getSpec();
    WorkflowVersionStatus status = v.getStatus() == null ? new WorkflowVersionStatus() : v.getStatus();
    List<Condition> conditions = status.getConditions() == null ? List.of() : status.getConditions();
    Optional<Condition> ready = conditions.stream().filter(c -> WorkflowVersionReconciler.READY.equals(c.getType())).findFirst();
    return new VersionView(v.getMetadata().getNamespace(), spec.getWorkflow(), v.getMetadata().getName(),
        v.getMetadata().getName().equals(currentVersion), v.getMetadata().getCreationTimestamp(), spec.getDescription(),
        status.getFlowName(), status.getDigest(), status.getSizeBytes(),
        ready.map(c -> "True".equals(c.getStatus())).orElse(null), ready.map(Condition::getReason).orElse(null),
        ready.map(Condition::getMessage).orElse(null),
        spec.getSourceRef() != null ? "configMap" : "inline",
        spec.getSourceRef() == null ? null : spec.getSourceRef().getName() + "/" + spec.getSourceRef().getKey(),
        status.getSourceConfigMap(), status.getInputs() == null ? List.of() : status.getInputs(), conditions);
  }

  private static List<VersionView> versions(Collection<WorkflowVersion> versions, String current) {
    return versions.stream()
        .sorted(Comparator.comparing((WorkflowVersion v) -> Objects.toString(v.getMetadata().getCreationTimestamp(), ""))
            .reversed().thenComparing(v -> v.getMetadata().getName()))
        .map(v -> version(v, current)).toList();
  }

  private static String key(String namespace, String name) {
    return namespace + "/" + name;
  }
}
