package io.herologic.operator.ui;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Kubernetes clients that act as the person signed in to the UI: each is built for one request
 * from that person's bearer token and nothing of the operator's own credentials, so the API
 * server's authentication, RBAC and admission policies decide what the UI may do for them.
 *
 * <p>Only where the API server is and how to trust it are taken from the operator's client; its
 * token, client certificate, key, basic auth, auth provider and impersonation are not. The config
 * starts from {@link Config#empty()}, which reads no kubeconfig, environment or ServiceAccount file.
 * (A client certificate would matter even beside a token: the API server authenticates the TLS
 * client certificate first, so the request would run as the operator.)
 */
@ApplicationScoped
public class UserClients {
  private final Config operator;
  private final KubernetesClient operatorClient;

  public UserClients(KubernetesClient operatorClient) {
    this.operatorClient = operatorClient;
    this.operator = operatorClient.getConfiguration();
  }

  /** A client that authenticates with {@code token} only. The caller closes it. */
  public KubernetesClient as(String token) {
    return new KubernetesClientBuilder().withConfig(config(operator, token))
        // The operator's serialization knows the herologic.io kinds; the HTTP client factory is Quarkus' shared one.
        .withKubernetesSerialization(operatorClient.getKubernetesSerialization()).build();
  }

  /** The operator's server address and trust settings with {@code token} as the only credential. */
  static Config config(Config operator, String token) {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl(operator.getMasterUrl())
        .withCaCertFile(operator.getCaCertFile())
        .withCaCertData(operator.getCaCertData())
        .withTrustCerts(operator.isTrustCerts())
        .withDisableHostnameVerification(operator.isDisableHostnameVerification())
        .withHttp2Disable(operator.isHttp2Disable())
        .withConnectionTimeout(operator.getConnectionTimeout())
        .withRequestTimeout(operator.getRequestTimeout())
        .withUserAgent("hero-logic-ui")
        .withOauthToken(token)
        .build();
  }
}
