package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Run, Re-run, Cancel and Delete from the browser, made with the signed-in person's own token:
 * "runner" (a Role that may create, patch and delete Plays in the namespace) does each through the
 * page and the cluster shows the result; "viewer" (may get and list, as the built-in view role) is refused each time with the API
 * server's own message naming that ServiceAccount, and nothing changes. The operator itself may do
 * all of it, so the refusals prove the writes are not the operator's.
 */
@DevClusterTest
class UiActionsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String FORM_FLOW = """
      import time
      from herologic import flow, step

      @flow(name="form", inputs={
          "topic": {"type": "string", "description": "what to write about"},
          "steps": {"type": "integer", "default": 2, "description": "how many steps"},
          "loud": {"type": "boolean", "default": False, "description": "shout it"},
          "pause": {"type": "number", "default": 0, "description": "seconds per step"},
      })
      def form(topic, steps=2, loud=False, pause=0):
          for i in range(steps):
              with step(f"step {i}"):
                  time.sleep(pause)
          return {"text": topic.upper() if loud else topic}
      """;

  @Test
  void aPersonRunsReRunsCancelsAndDeletesAsThemselvesAndIsRefusedWhatRbacRefuses(DevCluster cluster, KubernetesClient admin,
      TestNamespace namespace) throws Exception {
    UiBrowser browser = UiBrowser.prepare(cluster);
    String ns = namespace.name();
    String base = "http://127.0.0.1:" + OperatorProcess.running(cluster).port();
    Flows.install(admin, ns, "form", FORM_FLOW);
    String runner = tokenFor(admin, ns, "runner", List.of("get", "list", "create", "patch", "delete"));
    String viewer = tokenFor(admin, ns, "viewer", List.of("get", "list"));

    UiBrowser.Verdict done = browser.run("actions", base, runner, Map.of("namespace", ns, "workflow", "form"));
    assertTrue(done.ok(), "browser scenario actions: " + done.failures());
    String first = done.metrics().path("createdPlay").asText();
    String rerun = done.metrics().path("rerunPlay").asText();
    assertTrue(first.startsWith("form-") && rerun.startsWith("form-") && !first.equals(rerun), done.metrics().toString());

    assertNull(Flows.get(admin, ns, first), "the first Play was deleted from its page");
    Play again = Flows.get(admin, ns, rerun);
    assertEquals(JSON.readTree("{\"topic\":\"dogs\",\"steps\":2,\"loud\":true,\"pause\":30}"), again.getSpec().getInputs(),
        "the re-run ran with the first Play's inputs as edited on the form");
    assertEquals(first, again.getMetadata().getAnnotations().get("herologic.io/rerun-of"));
    assertEquals("form-v1", again.getSpec().getVersion(), "a re-run pins the version the first Play ran");
    assertTrue(again.getSpec().isCancelRequested(), "cancelled from its page");
    assertEquals(PlayPhase.Cancelled, Flows.awaitFinal(admin, ns, rerun).getStatus().getPhase());

    // The viewer: a running Play made by an admin, which the viewer may see but not change.
    Flows.play(admin, ns, "kept", "form", Map.of("topic", "kept", "steps", 1, "pause", 120));
    UiBrowser.Verdict refused = browser.run("refused", base, viewer,
        Map.of("namespace", ns, "workflow", "form", "play", "kept", "user", "system:serviceaccount:" + ns + ":viewer"));
    assertTrue(refused.ok(), "browser scenario refused: " + refused.failures());
    Play kept = Flows.get(admin, ns, "kept");
    assertFalse(kept.getSpec().isCancelRequested(), "the viewer's cancel changed nothing");
    List<Play> all = admin.resources(Play.class).inNamespace(ns).list().getItems();
    assertEquals(2, all.size(), "the viewer's run created nothing: " + all.stream().map(p -> p.getMetadata().getName()).toList());

    // The runner's token on a request a page of another site made the browser send (behind an auth
    // proxy that adds the header): refused. The same request from a script (no Origin) goes through.
    HttpClient http = HttpClient.newHttpClient();
    URI cancel = URI.create(base + "/api/v1/namespaces/" + ns + "/plays/kept/cancel");
    HttpResponse<String> forged = http.send(HttpRequest.newBuilder(cancel).header("Authorization", "Bearer " + runner)
        .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, forged.statusCode(), forged.body());
    assertTrue(forged.body().contains("cross-site request refused"), forged.body());
    assertFalse(Flows.get(admin, ns, "kept").getSpec().isCancelRequested(), "the forged cancel changed nothing");
    HttpResponse<String> script = http.send(HttpRequest.newBuilder(cancel).header("Authorization", "Bearer " + runner)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, script.statusCode(), script.body());
    assertTrue(Flows.get(admin, ns, "kept").getSpec().isCancelRequested(), "the runner's own cancel");
  }

  /** A ServiceAccount whose Role in {@code namespace} allows {@code playVerbs} on Plays, reading Workflows and versions, Events and Pod logs. */
  private static String tokenFor(KubernetesClient admin, String namespace, String account, List<String> playVerbs) {
    admin.resource(new RoleBuilder().withNewMetadata().withName(account).withNamespace(namespace).endMetadata()
        .addNewRule().withApiGroups("herologic.io").withResources("plays").withVerbs(playVerbs).endRule()
        .addNewRule().withApiGroups("herologic.io").withResources("workflows", "workflowversions").withVerbs("get", "list").endRule()
        // The Play page's Events and Pod log, so that the only refusals are the writes under test.
        .addNewRule().withApiGroups("").withResources("events").withVerbs("list").endRule()
        .addNewRule().withApiGroups("").withResources("pods/log").withVerbs("get").endRule()
        .build()).forceConflicts().serverSideApply();
    admin.resource(new RoleBindingBuilder().withNewMetadata().withName(account).withNamespace(namespace).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName(account).endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(account).withNamespace(namespace).endSubject().build())
        .forceConflicts().serverSideApply();
    return UiViewers.token(admin, namespace, account);
  }
}
