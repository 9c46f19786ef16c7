package io.herologic.testing;

import io.fabric8.kubernetes.api.model.ConfigBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A kubeconfig that authenticates as a ServiceAccount: to run the operator as the Helm chart would. */
public final class ServiceAccountKubeconfig {
  private ServiceAccountKubeconfig() {}

  /**
   * Mints a token for {@code namespace/serviceAccount} (TokenRequest API) and writes a kubeconfig
   * with it, the admin kubeconfig's server and CA, and {@code namespace} as the default namespace.
   */
  public static Path write(KubernetesClient admin, Path adminKubeconfig, String namespace, String serviceAccount,
      long validSeconds, Path file) {
    String token = admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(validSeconds).endSpec().build())
        .getStatus().getToken();
    try {
      var adminConfig = Serialization.unmarshal(Files.readString(adminKubeconfig), io.fabric8.kubernetes.api.model.Config.class);
      var server = adminConfig.getClusters().get(0).getCluster();
      var config = new ConfigBuilder()
          .withApiVersion("v1").withKind("Config").withCurrentContext("operator")
          .addNewCluster().withName("devcluster").withNewCluster().withServer(server.getServer())
            .withCertificateAuthorityData(server.getCertificateAuthorityData()).withCertificateAuthority(server.getCertificateAuthority())
          .endCluster().endCluster()
          .addNewUser().withName(serviceAccount).withNewUser().withToken(token).endUser().endUser()
          .addNewContext().withName("operator").withNewContext().withCluster("devcluster").withUser(serviceAccount)
            .withNamespace(namespace).endContext().endContext()
          .build();
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, Serialization.asYaml(config));
      return file.toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
