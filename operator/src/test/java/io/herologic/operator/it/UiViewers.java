package io.herologic.operator.it;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Distinct identities to look at the UI with: ServiceAccounts and tokens minted for them with the
 * TokenRequest API, which the operator checks with a TokenReview as it would any person's token.
 */
final class UiViewers {
  /** Where the shared identities live (namespaces of single tests come and go). */
  static final String NAMESPACE = "herologic-ui-viewers";
  static final String EVERYWHERE = "reader-everywhere";
  /** The ClusterRole a Prometheus needs to scrape /q/metrics, as README documents it. */
  static final String METRICS_ROLE = "herologic-test-metrics-reader";
  private static final String READER_ROLE = "herologic-test-ui-reader";
  private static final long TOKEN_SECONDS = 4 * 3600;
  private static String everywhere;

  private UiViewers() {}

  /**
   * A token whose user may list Plays, Workflows and WorkflowVersions, Events and Pod logs in every
   * namespace and get /metrics: what the UI tests that are not about authorization sign in with.
   */
  static synchronized String everywhere(KubernetesClient admin) {
    if (everywhere == null) {
      apply(admin, new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).addToLabels("herologic.io/test", "true").endMetadata().build());
      apply(admin, new ClusterRoleBuilder().withNewMetadata().withName(READER_ROLE).endMetadata()
          .addNewRule().withApiGroups("herologic.io").withResources("plays", "workflows", "workflowversions").withVerbs("get", "list").endRule()
          // A Play's page also shows its Events and its Pod's log, read with the viewer's own token.
          .addNewRule().withApiGroups("").withResources("events").withVerbs("list").endRule()
          .addNewRule().withApiGroups("").withResources("pods/log").withVerbs("get").endRule()
          .build());
      bindClusterRole(admin, READER_ROLE, NAMESPACE, EVERYWHERE);
      bindClusterRole(admin, metricsRole(admin), NAMESPACE, EVERYWHERE);
      everywhere = token(admin, NAMESPACE, EVERYWHERE);
    }
    return everywhere;
  }

  /** The ClusterRole that allows get on the non-resource URL /metrics, and nothing else. */
  static String metricsRole(KubernetesClient admin) {
    apply(admin, new ClusterRoleBuilder().withNewMetadata().withName(METRICS_ROLE).endMetadata()
        .addNewRule().withNonResourceURLs("/metrics").withVerbs("get").endRule().build());
    return METRICS_ROLE;
  }

  static void bindClusterRole(KubernetesClient admin, String clusterRole, String namespace, String serviceAccount) {
    apply(admin, new ClusterRoleBindingBuilder().withNewMetadata().withName(clusterRole + "-" + namespace + "-" + serviceAccount).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName(clusterRole).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(serviceAccount).withNamespace(namespace).endSubject().build());
  }

  /** Creates the ServiceAccount if it is missing and mints a token for it. */
  static String token(KubernetesClient admin, String namespace, String serviceAccount) {
    apply(admin, new ServiceAccountBuilder().withNewMetadata().withName(serviceAccount).withNamespace(namespace).endMetadata().build());
    return admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(TOKEN_SECONDS).endSpec().build())
        .getStatus().getToken();
  }

  private static void apply(KubernetesClient admin, HasMetadata object) {
    admin.resource(object).forceConflicts().serverSideApply();
  }
}
