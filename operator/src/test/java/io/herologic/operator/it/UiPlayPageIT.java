package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Everything about one Play on its page, through the real operator: the parent and child links
 * (a child made with the owner reference and label the SDK writes), the Play's Events and its
 * Pod's log read with the viewer's own token (one who may read them, one RBAC refuses), the
 * effective inputs, and a traceback frame that opens the version's source at its line.
 */
@DevClusterTest
class UiPlayPageIT {
  static final String BOOM = """
      from herologic import flow, step

      @flow(name="boom")
      def boom():
          with step("about to fail"):
              explode()

      def explode():
          raise RuntimeError("kaboom")
      """;

  @Test
  void aPlaysPageHoldsItsRelativesEventsLogInputsAndSourceLine(DevCluster cluster, KubernetesClient admin, TestNamespace namespace) {
    UiBrowser browser = UiBrowser.prepare(cluster);
    String ns = namespace.name();
    String base = "http://127.0.0.1:" + OperatorProcess.running(cluster).port();
    Flows.install(admin, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Play parent = Flows.play(admin, ns, "parent", "hello", Map.of("name", "Ada"));
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, ns, "parent").getStatus().getPhase());
    // What play_run_async writes (flows/herologic/plays.py): an owner reference to the parent and its label.
    Play kid = new Play();
    kid.getMetadata().setName("kid");
    kid.getMetadata().setNamespace(ns);
    kid.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("herologic.io/v1alpha1").withKind("Play")
        .withName("parent").withUid(parent.getMetadata().getUid()).build()));
    kid.getMetadata().setLabels(Map.of("herologic.io/parent-play", "parent"));
    kid.getSpec().setWorkflow("hello");
    admin.resource(kid).create();
    Flows.install(admin, ns, "boom", BOOM);
    Flows.play(admin, ns, "boomed", "boom", null);
    assertEquals(PlayPhase.Failed, Flows.awaitFinal(admin, ns, "boomed").getStatus().getPhase());
    Flows.awaitFinal(admin, ns, "kid");

    String debugger = tokenFor(admin, ns, "debugger", true);
    UiBrowser.Verdict verdict = browser.run("oneplace", base, debugger, Map.of("namespace", ns, "parent", "parent", "child", "kid",
        "reasons", List.of("Succeeded"), "logText", "Hello, Ada!",
        "effective", List.of(List.of("name", "given", "\"Ada\""), List.of("steps", "default", "3")),
        "failed", "boomed", "frames", List.of("line 6 (boom)", "line 9 (explode)"), "hitText", "raise RuntimeError(\"kaboom\")"));
    assertTrue(verdict.ok(), "browser scenario oneplace: " + verdict.failures());

    String viewer = tokenFor(admin, ns, "viewer", false);
    UiBrowser.Verdict refused = browser.run("oneplaceViewer", base, viewer, Map.of("namespace", ns, "parent", "parent",
        "user", "system:serviceaccount:" + ns + ":viewer"));
    assertTrue(refused.ok(), "browser scenario oneplaceViewer: " + refused.failures());
  }

  /** Reads Plays, Workflows and versions; with {@code debugging}, also Events and Pod logs. */
  private static String tokenFor(KubernetesClient admin, String namespace, String account, boolean debugging) {
    RoleBuilder role = new RoleBuilder().withNewMetadata().withName(account).withNamespace(namespace).endMetadata()
        .addNewRule().withApiGroups("herologic.io").withResources("plays", "workflows", "workflowversions").withVerbs("get", "list").endRule();
    if (debugging) {
      role.addNewRule().withApiGroups("").withResources("events").withVerbs("list").endRule()
          .addNewRule().withApiGroups("").withResources("pods/log").withVerbs("get").endRule();
    }
    admin.resource(role.build()).forceConflicts().serverSideApply();
    admin.resource(new RoleBindingBuilder().withNewMetadata().withName(account).withNamespace(namespace).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(account).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(account).withNamespace(namespace).endSubject().build())
        .forceConflicts().serverSideApply();
    return UiViewers.token(admin, namespace, account);
  }
}
