package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import org.junit.jupiter.api.Test;

class UserClientsTest {
  /** An operator config with every kind of credential a kubeconfig or the Pod can give it. */
  private static Config operator() {
    return new ConfigBuilder(Config.empty())
        .withMasterUrl("https://10.0.0.1:6443/")
        .withCaCertData("Q0EgZGF0YQ==")
        .withClientCertData("Y2VydA==").withClientKeyData("a2V5").withClientCertFile("/etc/op/tls.crt").withClientKeyFile("/etc/op/tls.key")
        .withUsername("admin").withPassword("hunter2")
        .withOauthToken("the-operators-token")
        .withImpersonateUsername("system:admin").withImpersonateGroups("system:masters")
        .withRequestTimeout(12_345)
        .build();
  }

  @Test
  void theUsersClientCarriesTheUsersTokenAndNoneOfTheOperatorsCredentials() {
    Config user = UserClients.config(operator(), "the-users-token");
    assertEquals("the-users-token", user.getOauthToken());
    assertNull(user.getClientCertData(), "a client certificate would authenticate as the operator before the token is read");
    assertNull(user.getClientKeyData());
    assertNull(user.getClientCertFile());
    assertNull(user.getClientKeyFile());
    assertNull(user.getUsername());
    assertNull(user.getPassword());
    assertNull(user.getImpersonateUsername(), "impersonation would act as someone else");
    assertTrue(user.getImpersonateGroups() == null || user.getImpersonateGroups().length == 0);
    assertNull(user.getAuthProvider());
  }

  @Test
  void itTalksToTheSameServerTrustedTheSameWay() {
    Config user = UserClients.config(operator(), "t");
    assertEquals("https://10.0.0.1:6443/", user.getMasterUrl());
    assertEquals("Q0EgZGF0YQ==", user.getCaCertData());
    assertEquals(12_345, user.getRequestTimeout());
  }
}
