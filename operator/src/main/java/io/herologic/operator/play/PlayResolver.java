package io.herologic.operator.play;

import io.herologic.model.Play;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.version.WorkflowVersionReconciler;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether a Pending Play can run: its Workflow and version exist and are Ready, its inputs
 * match what the flow declares, it is within the child-Play limits, and its Workflow's
 * ServiceAccount may run flows. Reads informer caches only (and one ServiceAccount GET for
 * Workflows that name one).
 */
final class PlayResolver {
  private final Cache<Workflow> workflows;
  private final Cache<WorkflowVersion> versions;
  private final IndexedResourceCache<Play> plays;
  private final ChildPlayLimits childLimits;
  private final FlowServiceAccounts serviceAccounts;

  PlayResolver(Cache<Workflow> workflows, Cache<WorkflowVersion> versions, IndexedResourceCache<Play> plays,
      ChildPlayLimits childLimits, FlowServiceAccounts serviceAccounts) {
    this.workflows = workflows;
    this.versions = versions;
    this.plays = plays;
    this.childLimits = childLimits;
    this.serviceAccounts = serviceAccounts;
  }

  Resolution resolve(Play play) {
    // First, so a runaway flow's surplus children fail at once instead of waiting for anything.
    Optional<String> tooMany = childLimits.problem(play, plays);
    if (tooMany.isPresent()) {
      return new Resolution.Rejected("ChildPlayLimit", tooMany.get());
    }
    return resolve(play, Optional.empty());
  }

  /**
   * For a retry: the version the Play's first attempt recorded, whatever the Workflow pins now, and
   * every other check again (the Workflow's ServiceAccount may have lost its right to run flows).
   * The child-Play limits were checked when the Play first started.
   */
  Resolution resolveAgain(Play play, String recordedVersion) {
    return resolve(play, Optional.of(recordedVersion));
  }

  /** The Play's Workflow as the informer holds it. */
  Optional<Workflow> workflowOf(Play play) {
    return workflows.get(new ResourceID(play.getSpec().getWorkflow(), play.getMetadata().getNamespace()));
  }

  private Resolution resolve(Play play, Optional<String> recordedVersion) {
    String namespace = play.getMetadata().getNamespace();
    String workflowName = play.getSpec().getWorkflow();
    Optional<Workflow> workflow = workflowOf(play);
    if (workflow.isEmpty()) {
      return new Resolution.Waiting("WorkflowNotFound",
          "Workflow " + workflowName + " not found in namespace " + namespace + "; the Play starts when it appears", null);
    }
    String versionName = recordedVersion.orElseGet(() -> versionName(play, workflow.get()));
    Optional<WorkflowVersion> version = versions.get(new ResourceID(versionName, namespace));
    if (version.isEmpty()) {
      return new Resolution.Waiting("VersionNotFound",
          "WorkflowVersion " + versionName + " not found in namespace " + namespace + "; the Play starts when it appears", null);
    }
    WorkflowVersion v = version.get();
    if (!workflowName.equals(v.getSpec().getWorkflow())) {
      return new Resolution.Rejected("VersionOfAnotherWorkflow",
          "spec.version: WorkflowVersion " + versionName + " belongs to Workflow " + v.getSpec().getWorkflow() + ", not " + workflowName);
    }
    var ready = Conditions.find(v.getStatus().getConditions(), WorkflowVersionReconciler.READY);
    if (ready.isEmpty() || !"True".equals(ready.get().getStatus()) || v.getStatus().getDigest() == null
        || v.getStatus().getSourceConfigMap() == null) {
      return new Resolution.Waiting("VersionNotReady", "WorkflowVersion " + versionName + " is not Ready"
          + ready.map(c -> ": " + c.getReason() + ": " + c.getMessage()).orElse(" yet"), null);
    }
    List<String> problems = InputValidator.problems(play.getSpec().getInputs(), v.getStatus().getInputs());
    if (!problems.isEmpty()) {
      return new Resolution.Rejected("InvalidInputs", String.join("; ", problems), Optional.of(v));
    }
    Optional<String> keyElsewhere = workflowKeyToPlaysUrl(play, workflow.get());
    if (keyElsewhere.isPresent()) {
      return new Resolution.Rejected("LlmKeyNotAllowed", keyElsewhere.get(), Optional.of(v));
    }
    return serviceAccounts.problem(workflow.get()).orElse(new Resolution.Resolved(workflow.get(), v));
  }

  /**
   * A Play's own baseUrl without its own key would receive its Workflow's key. The admission
   * policies cannot see that (they do not read the Workflow), so it is refused here.
   */
  static Optional<String> workflowKeyToPlaysUrl(Play play, Workflow workflow) {
    var playLlm = play.getSpec().getLlm();
    var workflowLlm = workflow.getSpec().getLlm();
    if (playLlm == null || playLlm.getBaseUrl() == null || playLlm.getApiKeySecretRef() != null
        || workflowLlm == null || workflowLlm.getApiKeySecretRef() == null) {
      return Optional.empty();
    }
    return Optional.of("spec.llm.baseUrl: the Play would send Workflow " + workflow.getMetadata().getName() + "'s API key (Secret "
        + workflowLlm.getApiKeySecretRef().getName() + ") to its own URL; name the key for that URL in spec.llm.apiKeySecretRef");
  }

  /** The Play's own version, else the Workflow's pin. */
  static String versionName(Play play, Workflow workflow) {
    return play.getSpec().getVersion() != null ? play.getSpec().getVersion() : workflow.getSpec().getCurrentVersion();
  }
}
