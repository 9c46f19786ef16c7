package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.LlmSettings;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.operator.play.InputValidator;
import io.herologic.operator.play.PlayNames;
import io.herologic.operator.play.PlayPodFactory;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a Play may do is bounded by what its Workflow declares and by what the namespace's
 * administrator allowed: ServiceAccounts, the LLM key, Services, child Plays. And whatever a Play
 * is named or carries, the objects the operator makes for it stay valid and its own.
 */
@DevClusterTest
class PlayTrustIT {
  private static final String KEY = "sk-test-3f9a1c0b7d";
  private KubernetesClient client;
  private String ns;
  private DevCluster cluster;

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
  }

  private Pod podOf(Play play) {
    return client.pods().inNamespace(ns).withName(play.getStatus().getPodName()).get();
  }

  private static List<String> envNames(Pod pod) {
    return pod.getSpec().getContainers().get(0).getEnv().stream().map(EnvVar::getName).toList();
  }

  @Test
  void aWorkflowsServiceAccountNeedsTheAdministratorsOptInLabel() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"), spec -> spec.setServiceAccountName("robot"));
    client.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName("robot").endMetadata().build()).create();

    Flows.play(client, ns, "refused", "hello", null);
    Play refused = Flows.awaitFinal(client, ns, "refused");
    assertEquals(PlayPhase.Failed, refused.getStatus().getPhase());
    assertEquals("ServiceAccountNotAllowed", refused.getStatus().getError().getType());
    assertTrue(refused.getStatus().getError().getMessage().contains("herologic.io/flow-runner=\"true\""), refused.getStatus().getError().getMessage());
    assertNull(refused.getStatus().getPodName());
    assertTrue(client.pods().inNamespace(ns).list().getItems().isEmpty(), "no Pod runs under an account nobody allowed");

    client.serviceAccounts().inNamespace(ns).withName("robot").edit(sa -> new ServiceAccountBuilder(sa)
        .editMetadata().addToLabels("herologic.io/flow-runner", "true").endMetadata().build());
    Flows.play(client, ns, "allowed", "hello", null);
    Play allowed = Flows.awaitFinal(client, ns, "allowed");
    assertEquals(PlayPhase.Succeeded, allowed.getStatus().getPhase(), allowed.getStatus().getMessage());
    assertEquals("robot", podOf(allowed).getSpec().getServiceAccountName());
  }

  @Test
  void onlyWorkflowsThatDeclareAModelReceiveTheNamespacesLlmKey() {
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("herologic-llm").endMetadata()
        .addToStringData("apiKey", KEY).addToStringData("baseUrl", "http://127.0.0.1:9/v1").build()).create();
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.install(client, ns, "thinker", Flows.builtinSource(cluster, "hello").replace("name=\"hello\"", "name=\"thinker\""),
        spec -> spec.setLlm(new LlmSettings()));

    Flows.play(client, ns, "plain", "hello", null);
    Flows.play(client, ns, "model", "thinker", null);
    Play plain = Flows.awaitFinal(client, ns, "plain");
    Play model = Flows.awaitFinal(client, ns, "model");
    assertEquals(PlayPhase.Succeeded, plain.getStatus().getPhase(), plain.getStatus().getMessage());
    assertEquals(PlayPhase.Succeeded, model.getStatus().getPhase(), model.getStatus().getMessage());
    assertTrue(envNames(podOf(plain)).stream().noneMatch(n -> n.startsWith("HEROLOGIC_LLM")), envNames(podOf(plain)).toString());
    var key = podOf(model).getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals("HEROLOGIC_LLM_API_KEY"))
        .findFirst().orElseThrow().getValueFrom().getSecretKeyRef();
    assertEquals("herologic-llm", key.getName());
    assertFalse(client.resources(Play.class).inNamespace(ns).list().getItems().toString().contains(KEY), "the key is in no Play");
  }

  @Test
  void aPlaysOwnBaseUrlNeverReceivesItsWorkflowsKey() {
    LlmSettings workflowLlm = new LlmSettings();
    workflowLlm.setApiKeySecretRef(new io.herologic.model.SecretKeyRef("team-key", "token"));
    Flows.install(client, ns, "thinker", Flows.builtinSource(cluster, "hello").replace("name=\"hello\"", "name=\"thinker\""),
        spec -> spec.setLlm(workflowLlm));
    LlmSettings elsewhere = new LlmSettings();
    elsewhere.setBaseUrl("https://collector.example/v1");
    Flows.play(client, ns, "exfiltrate", "thinker", null, spec -> spec.setLlm(elsewhere));
    Play refused = Flows.awaitFinal(client, ns, "exfiltrate");
    assertEquals("LlmKeyNotAllowed", refused.getStatus().getError().getType());
    assertTrue(refused.getStatus().getError().getMessage().startsWith("spec.llm.baseUrl: the Play would send Workflow thinker's API key"),
        refused.getStatus().getError().getMessage());
    assertNull(refused.getStatus().getPodName());

    LlmSettings withOwnKey = new LlmSettings();
    withOwnKey.setBaseUrl("https://collector.example/v1");
    withOwnKey.setApiKeySecretRef(new io.herologic.model.SecretKeyRef("my-key", "token"));
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("my-key").endMetadata()
        .addToStringData("token", "mine").build()).create();
    Flows.play(client, ns, "own-key", "thinker", null, spec -> spec.setLlm(withOwnKey));
    Play allowed = Flows.awaitFinal(client, ns, "own-key");
    assertEquals(PlayPhase.Succeeded, allowed.getStatus().getPhase(), allowed.getStatus().getMessage());
  }

  @Test
  void discoveredServicesAreHandedToTheFlowWhichHasNoApiToken() {
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("calendar")
        .addToLabels("herologic.io/discover", "true").endMetadata()
        .withNewSpec().addNewPort().withPort(8080).endPort().endSpec().build()).create();
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("mail")
        .addToLabels("herologic.io/discover", "true").addToAnnotations("herologic.io/rpc-url", "http://127.0.0.1:7777/jsonrpc").endMetadata()
        .withNewSpec().addNewPort().withPort(25).endPort().endSpec().build()).create();
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("hidden").endMetadata()
        .withNewSpec().addNewPort().withPort(80).endPort().endSpec().build()).create();
    Flows.install(client, ns, "finder", """
        import os
        from herologic import flow

        @flow(name="finder")
        def finder():
            token = "/var/run/secrets/kubernetes.io/serviceaccount/token"
            return {"services": os.environ.get("HEROLOGIC_SERVICES"), "token": os.path.exists(token)}
        """, spec -> spec.setDiscoverServices(true));

    Flows.play(client, ns, "find", "finder", null);
    Play play = Flows.awaitFinal(client, ns, "find");
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals("calendar=http://calendar." + ns + ".svc:8080/rpc,mail=http://127.0.0.1:7777/jsonrpc",
        play.getStatus().getOutput().get("services").asText());
    assertFalse(play.getStatus().getOutput().get("token").asBoolean());
    assertFalse(podOf(play).getSpec().getAutomountServiceAccountToken());
  }

  @Test
  void childPlaysAreLimitedInNumberAndDepthAndGoAwayWithTheirParent() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    // The children wait for a Workflow that never comes: they exist, run nothing, and count.
    Play parent = Flows.play(client, ns, "parent", "nothing-yet", null);
    for (int i = 0; i < 50; i++) {
      child(String.format("child-%02d", i), parent);
    }
    // Once the last of them is reconciled, the operator's cache holds all fifty.
    Flows.awaitPlay(client, ns, "child-49", Duration.ofSeconds(30), p -> "WorkflowNotFound".equals(reason(p)));
    Play surplus = child("child-50", parent);
    Play rejected = Flows.awaitFinal(client, ns, surplus.getMetadata().getName());
    assertEquals("ChildPlayLimit", rejected.getStatus().getError().getType());
    assertTrue(rejected.getStatus().getError().getMessage().contains("already started 50 child Plays"), rejected.getStatus().getError().getMessage());
    assertEquals(PlayPhase.Pending, Flows.get(client, ns, "child-49").getStatus().getPhase(), "the first 50 are within the limit");

    Play up = parent;
    for (int depth = 1; depth <= 4; depth++) {
      up = child("deep-" + depth, up);
    }
    Flows.awaitPlay(client, ns, "deep-4", Duration.ofSeconds(30), p -> "WorkflowNotFound".equals(reason(p)));
    Play tooDeep = child("deep-5", up);
    Play deepRejected = Flows.awaitFinal(client, ns, tooDeep.getMetadata().getName());
    assertEquals("ChildPlayLimit", deepRejected.getStatus().getError().getType());
    assertTrue(deepRejected.getStatus().getError().getMessage().contains("at most 4 deep"), deepRejected.getStatus().getError().getMessage());

    client.resource(parent).delete();
    Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> client.resources(Play.class).inNamespace(ns).list().getItems().isEmpty());
  }

  private Play child(String name, Play parent) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(ns);
    play.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder().withApiVersion("herologic.io/v1alpha1").withKind("Play")
        .withName(parent.getMetadata().getName()).withUid(parent.getMetadata().getUid()).withController(false).build()));
    play.getSpec().setWorkflow("nothing-yet");
    return client.resource(play).create();
  }

  private static String reason(Play play) {
    return play.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).map(c -> c.getReason()).findFirst().orElse(null);
  }

  /**
   * Inputs of the largest allowed size reach the flow intact through the Pod's own annotation (a
   * file, past what an environment variable carries), and launching creates no Secret.
   */
  @Test
  void inputsOfTheLargestAllowedSizeReachTheFlowFromThePodItself() throws Exception {
    Flows.install(client, ns, "sizer", """
        import hashlib
        from herologic import flow

        @flow(name="sizer", inputs={"blob": {"type": "string"}})
        def sizer(blob):
            return {"length": len(blob), "sha": hashlib.sha256(blob.encode()).hexdigest()[:16]}
        """);
    int length = InputValidator.MAX_BYTES - "{\"blob\":\"\"}".length(); // the inputs are then exactly the limit
    String blob = "0123456789abcdef".repeat(length / 16 + 1).substring(0, length);
    Flows.play(client, ns, "big", "sizer", Map.of("blob", blob));
    Play play = Flows.awaitFinal(client, ns, "big");
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals(length, play.getStatus().getOutput().get("length").asInt());
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob.getBytes(StandardCharsets.UTF_8)));
    assertEquals(sha.substring(0, 16), play.getStatus().getOutput().get("sha").asText());
    Pod pod = podOf(play);
    assertFalse(envNames(pod).contains("HEROLOGIC_INPUTS"));
    assertEquals("{\"blob\":\"" + blob + "\"}", pod.getMetadata().getAnnotations().get(PlayPodFactory.INPUTS_ANNOTATION));
    assertTrue(client.secrets().inNamespace(ns).list().getItems().stream().flatMap(s -> s.getMetadata().getOwnerReferences().stream())
        .noneMatch(o -> o.getUid().equals(play.getMetadata().getUid())), "launching created a Secret");
  }

  @Test
  void theLongestLegalPlayNameRunsAndItsObjectsAreValid() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    String name = "a".repeat(62) + "-" + "b".repeat(100) + "." + "c".repeat(89);
    assertEquals(253, name.length());
    Flows.play(client, ns, name, "hello", null);
    Play play = Flows.awaitFinal(client, ns, name);
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    Pod pod = podOf(play);
    assertTrue(pod.getMetadata().getLabels().get("herologic.io/play").length() <= 63);
  }

  @Test
  void somebodyElsesPodUnderThePlaysPodNameIsNeverTakenForItsOwn() {
    Play play = Flows.play(client, ns, "squatted", "hello", null); // waits: no Workflow yet
    client.resource(new PodBuilder().withNewMetadata().withName(PlayNames.pod(play)).withNamespace(ns).endMetadata()
        .withNewSpec().addNewContainer().withName("x").withImage("python:3.12-slim").withCommand("sleep", "60").endContainer().endSpec()
        .build()).create();
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Play failed = Flows.awaitFinal(client, ns, "squatted");
    assertEquals(PlayPhase.Failed, failed.getStatus().getPhase());
    assertEquals("PodNameTaken", failed.getStatus().getError().getType());
    assertTrue(failed.getStatus().getError().getMessage().contains("does not belong to this Play"), failed.getStatus().getError().getMessage());
  }

  /**
   * The operator adopts a launch recorded on a Pod only when the Play controls that Pod. A Pod made
   * to look like the Play's own (its name, the operator's labels, an owner reference to the Play
   * that is not the controller, a launch record naming another version and trace) is refused.
   */
  @Test
  void aPodForgingTheOperatorsLaunchRecordIsNeverAdopted() {
    Play play = Flows.play(client, ns, "forged", "hello", null); // waits: no Workflow yet
    client.resource(new PodBuilder().withNewMetadata().withName(PlayNames.pod(play)).withNamespace(ns)
        .withLabels(Map.of("app.kubernetes.io/managed-by", "hero-logic", "herologic.io/play", "forged"))
        .withAnnotations(Map.of("herologic.io/workflow-version", "forged-v1", "herologic.io/digest", "sha256:" + "0".repeat(64),
            "herologic.io/flow-name", "forged", "herologic.io/trace-id", "f".repeat(32)))
        .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("herologic.io/v1alpha1").withKind("Play")
            .withName("forged").withUid(play.getMetadata().getUid()).withController(false).build())
        .endMetadata()
        .withNewSpec().addNewContainer().withName("x").withImage("python:3.12-slim").withCommand("sleep", "60").endContainer().endSpec()
        .build()).create();
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Play failed = Flows.awaitFinal(client, ns, "forged");
    assertEquals(PlayPhase.Failed, failed.getStatus().getPhase());
    assertEquals("PodNameTaken", failed.getStatus().getError().getType(), failed.getStatus().getError().getMessage());
    assertFalse("forged-v1".equals(failed.getStatus().getWorkflowVersion()), "the forged launch record was taken: " + failed.getStatus());
    assertFalse("f".repeat(32).equals(failed.getStatus().getTraceId()), "the forged trace id was taken");
  }
}
