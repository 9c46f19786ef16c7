package io.herologic.operator.workflow;

import io.herologic.model.Workflow;
import io.herologic.model.WorkflowStatus;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.StatusPatch;
import io.herologic.operator.kube.Indexes;
import io.herologic.operator.version.WorkflowVersionReconciler;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Shows which version a Workflow runs, whether it is Ready, and how many versions it has. */
@ControllerConfiguration(name = "workflow")
public class WorkflowReconciler implements Reconciler<Workflow> {
  public static final String READY = "Ready";

  @Override
  public List<EventSource<?, Workflow>> prepareEventSources(EventSourceContext<Workflow> context) {
    var versions = InformerEventSourceConfiguration.from(WorkflowVersion.class, Workflow.class)
        .withSecondaryToPrimaryMapper(v -> Set.of(new ResourceID(v.getSpec().getWorkflow(), v.getMetadata().getNamespace())))
        .build();
    return List.of(new InformerEventSource<>(versions, context));
  }

  @Override
  public UpdateControl<Workflow> reconcile(Workflow workflow, Context<Workflow> context) {
    String namespace = workflow.getMetadata().getNamespace();
    String name = workflow.getMetadata().getName();
    @SuppressWarnings("unchecked")
    var versions = (InformerEventSource<WorkflowVersion, Workflow>) context.eventSourceRetriever().getEventSourceFor(WorkflowVersion.class);
    Long generation = workflow.getMetadata().getGeneration();

    WorkflowStatus status = new WorkflowStatus();
    status.setConditions(new ArrayList<>(workflow.getStatus().getConditions()));
    status.setObservedGeneration(generation);
    status.setVersions((int) versions.list(namespace, v -> name.equals(v.getSpec().getWorkflow())).count());
    String pinned = workflow.getSpec().getCurrentVersion();
    status.setCurrentVersion(pinned);
    var current = versions.get(new ResourceID(pinned, namespace));
    if (current.isEmpty()) {
      status.setReady(false);
      Conditions.set(status.getConditions(), READY, false, "VersionNotFound",
          "WorkflowVersion " + pinned + " not found in namespace " + namespace, generation);
    } else if (!name.equals(current.get().getSpec().getWorkflow())) {
      status.setReady(false);
      Conditions.set(status.getConditions(), READY, false, "VersionOfAnotherWorkflow",
          "WorkflowVersion " + pinned + " belongs to Workflow " + current.get().getSpec().getWorkflow(), generation);
    } else {
      WorkflowVersion version = current.get();
      status.setDigest(version.getStatus().getDigest());
      status.setFlowName(version.getStatus().getFlowName());
      var versionReady = Conditions.find(version.getStatus().getConditions(), WorkflowVersionReconciler.READY);
      boolean ready = versionReady.map(c -> "True".equals(c.getStatus())).orElse(false);
      status.setReady(ready);
      Conditions.set(status.getConditions(), READY, ready, ready ? "VersionReady" : "VersionNotReady",
          ready ? "runs " + pinned + " (" + version.getStatus().getDigest() + ")"
              : "WorkflowVersion " + pinned + " is not Ready: " + versionReady.map(c -> c.getMessage()).orElse("not parsed yet"),
          generation);
    }
    if (status.equals(workflow.getStatus())) {
      return UpdateControl.noUpdate();
    }
    workflow.setStatus(status);
    return StatusPatch.of(workflow);
  }
}
