package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Workflow;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.kube.Labels;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;

/**
 * Which ServiceAccounts flows may run under. Choosing a ServiceAccount for a Pod is a power
 * Kubernetes ties to creating Pods; the admission policies ask the Workflow's author for it, and
 * this re-check holds on clusters without them: the account must carry the administrator's opt-in
 * label, and is never the operator's own.
 */
@ApplicationScoped
public class FlowServiceAccounts {
  private final KubernetesClient client;
  private final Optional<String> operatorAccount;

  public FlowServiceAccounts(KubernetesClient client, OperatorConfig config) {
    this.client = client;
    this.operatorAccount = config.operatorServiceAccount();
  }

  /** Empty when the Workflow's flows may run under its ServiceAccount (or it names none). */
  public Optional<Resolution> problem(Workflow workflow) {
    String name = workflow.getSpec().getServiceAccountName();
    if (name == null) {
      return Optional.empty();
    }
    String namespace = workflow.getMetadata().getNamespace();
    String field = "Workflow " + workflow.getMetadata().getName() + " spec.serviceAccountName";
    if (operatorAccount.filter((namespace + "/" + name)::equals).isPresent()) {
      return Optional.of(new Resolution.Rejected("ServiceAccountNotAllowed",
          field + ": " + name + " is the hero-logic operator's own ServiceAccount; flows never run under it"));
    }
    ServiceAccount account = client.serviceAccounts().inNamespace(namespace).withName(name).get();
    if (account == null) {
      return Optional.of(new Resolution.Waiting("ServiceAccountNotFound",
          "ServiceAccount " + name + " named by " + field + " does not exist in namespace " + namespace
              + "; the Play starts when it does", Duration.ofSeconds(10)));
    }
    String optIn = account.getMetadata().getLabels() == null ? null : account.getMetadata().getLabels().get(Labels.FLOW_RUNNER);
    if (!"true".equals(optIn)) {
      return Optional.of(new Resolution.Rejected("ServiceAccountNotAllowed",
          field + ": ServiceAccount " + name + " lacks the label " + Labels.FLOW_RUNNER + "=\"true\" that an administrator"
              + " sets on accounts flows may run under"));
    }
    return Optional.empty();
  }
}
