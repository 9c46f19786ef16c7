package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.play.SdkPublisher;
import io.herologic.operator.seed.BuiltinFlow;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A WorkflowVersion runs the bytes it first read, whatever later happens to the ConfigMap it read
 * them from; ConfigMaps named after a digest are mounted only when their content is verified.
 */
@DevClusterTest
class VersionImmutabilityIT {
  private KubernetesClient client;
  private DevCluster cluster;
  private String ns;

  /** A flow that reports the SHA-256 of the file it runs from, and which variant it is. */
  static String selfHashing(String variant) {
    return "import hashlib\n"
        + "from herologic import flow\n\n"
        + "@flow(name=\"selfhash\")\n"
        + "def selfhash():\n"
        + "    with open(__file__, \"rb\") as f:\n"
        + "        return {\"sha256\": hashlib.sha256(f.read()).hexdigest(), \"variant\": \"" + variant + "\"}\n";
  }

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
  }

  @Test
  void editingOrDeletingTheSourceConfigMapChangesNothingAPlayRuns() {
    FlowSource original = source(selfHashing("original"));
    FlowSource edited = source(selfHashing("edited"));
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("selfhash-src").withNamespace(ns).endMetadata()
        .withData(Map.of("flow.py", selfHashing("original"))).build()).create();
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setName("selfhash-v1");
    v.getMetadata().setNamespace(ns);
    v.getSpec().setWorkflow("selfhash");
    v.getSpec().setSourceRef(new ConfigMapKeyRef("selfhash-src", "flow.py"));
    client.resource(v).create();
    Workflow w = new Workflow();
    w.getMetadata().setName("selfhash");
    w.getMetadata().setNamespace(ns);
    w.getSpec().setCurrentVersion("selfhash-v1");
    client.resource(w).create();

    WorkflowVersion snapshotted = awaitVersion("selfhash-v1", x -> isTrue(x, "Ready"));
    assertEquals(original.digest(), snapshotted.getStatus().getDigest());
    assertEquals(original.configMapName(), snapshotted.getStatus().getSourceConfigMap());
    assertEquals("SourceConfigMapMatches", condition(snapshotted, "SourceChanged").getReason());
    assertEquals("False", condition(snapshotted, "SourceChanged").getStatus());

    client.configMaps().inNamespace(ns).withName("selfhash-src").edit(cm -> {
      cm.setData(Map.of("flow.py", selfHashing("edited")));
      return cm;
    });
    WorkflowVersion changed = awaitVersion("selfhash-v1", x -> isTrue(x, "SourceChanged"));
    Condition sourceChanged = condition(changed, "SourceChanged");
    assertEquals("SourceConfigMapChanged", sourceChanged.getReason());
    for (String part : List.of("ConfigMap selfhash-src key flow.py", original.digest(), edited.digest(), "create a new WorkflowVersion")) {
      assertTrue(sourceChanged.getMessage().contains(part), part + " in: " + sourceChanged.getMessage());
    }
    assertUnchanged(changed, original);
    List<Event> warnings = warnings("WorkflowVersion", "selfhash-v1", "SourceConfigMapChanged");
    assertEquals(1, warnings.size(), warnings.toString());
    for (String part : List.of("selfhash-src", "flow.py", original.digest(), edited.digest())) {
      assertTrue(warnings.get(0).getMessage().contains(part), part + " in: " + warnings.get(0).getMessage());
    }

    // The snapshot is in status and the digest-named ConfigMap: a restarted operator keeps it.
    OperatorProcess.running(cluster).restart(false, Map.of());
    Play afterEdit = runPlay("after-edit");
    assertEquals("original", afterEdit.getStatus().getOutput().get("variant").asText());
    assertEquals(original.digest(), "sha256:" + afterEdit.getStatus().getOutput().get("sha256").asText(), "the Pod ran the snapshot's bytes");
    assertEquals(original.digest(), afterEdit.getStatus().getDigest());
    WorkflowVersion afterRestart = client.resources(WorkflowVersion.class).inNamespace(ns).withName("selfhash-v1").get();
    assertUnchanged(afterRestart, original);
    assertEquals(sourceChanged.getMessage(), condition(afterRestart, "SourceChanged").getMessage());
    assertEquals(1, warnings("WorkflowVersion", "selfhash-v1", "SourceConfigMapChanged").size(), "the same change is reported once");

    client.configMaps().inNamespace(ns).withName("selfhash-src").delete();
    WorkflowVersion gone = awaitVersion("selfhash-v1", x -> "SourceConfigMapGone".equals(condition(x, "SourceChanged").getReason()));
    assertUnchanged(gone, original);
    Play afterDelete = runPlay("after-delete");
    assertEquals(original.digest(), "sha256:" + afterDelete.getStatus().getOutput().get("sha256").asText());
  }

  @Test
  void aLostSnapshotIsPublishedAgainOnlyFromTheSameBytes() {
    // Inline: the spec still holds the bytes, so a deleted snapshot simply comes back.
    Flows.install(client, ns, "inline", selfHashing("inline"));
    String inlineSnapshot = awaitVersion("inline-v1", x -> isTrue(x, "Ready")).getStatus().getSourceConfigMap();
    String firstUid = client.configMaps().inNamespace(ns).withName(inlineSnapshot).get().getMetadata().getUid();
    client.configMaps().inNamespace(ns).withName(inlineSnapshot).delete();
    ConfigMap republished = Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> client.configMaps().inNamespace(ns).withName(inlineSnapshot).get(), cm -> cm != null && !firstUid.equals(cm.getMetadata().getUid()));
    assertArrayEquals(source(selfHashing("inline")).bytes(), Base64.getDecoder().decode(republished.getBinaryData().get("flow.py")));

    // From a ConfigMap that has changed since: the snapshot cannot be made again, and the new bytes are never taken instead.
    FlowSource original = source(selfHashing("original"));
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("selfhash-src").withNamespace(ns).endMetadata()
        .withData(Map.of("flow.py", selfHashing("original"))).build()).create();
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setName("selfhash-v1");
    v.getMetadata().setNamespace(ns);
    v.getSpec().setWorkflow("selfhash");
    v.getSpec().setSourceRef(new ConfigMapKeyRef("selfhash-src", "flow.py"));
    client.resource(v).create();
    Workflow w = new Workflow();
    w.getMetadata().setName("selfhash");
    w.getMetadata().setNamespace(ns);
    w.getSpec().setCurrentVersion("selfhash-v1");
    client.resource(w).create();
    awaitVersion("selfhash-v1", x -> isTrue(x, "Ready"));
    client.configMaps().inNamespace(ns).withName("selfhash-src").edit(cm -> {
      cm.setData(Map.of("flow.py", selfHashing("edited")));
      return cm;
    });
    awaitVersion("selfhash-v1", x -> isTrue(x, "SourceChanged"));
    client.configMaps().inNamespace(ns).withName(original.configMapName()).delete();
    WorkflowVersion lost = awaitVersion("selfhash-v1", x -> "SnapshotLost".equals(condition(x, "Ready").getReason()));
    assertEquals("False", condition(lost, "Ready").getStatus());
    assertEquals(original.digest(), lost.getStatus().getDigest(), "the digest never moves to the edited source");
    assertEquals(null, lost.getStatus().getSourceConfigMap(), "names no object that is not verified");
    assertEquals(1, warnings("WorkflowVersion", "selfhash-v1", "SnapshotLost").size());
    Flows.play(client, ns, "waits", "selfhash", null);
    Play waiting = Flows.awaitPlay(client, ns, "waits", Duration.ofSeconds(30),
        p -> p.getStatus().getConditions().stream().anyMatch(c -> "VersionNotReady".equals(c.getReason())));
    assertEquals(null, waiting.getStatus().getPodName());

    // The original bytes back in the ConfigMap: the same snapshot is published again and the waiting Play runs it.
    client.configMaps().inNamespace(ns).withName("selfhash-src").edit(cm -> {
      cm.setData(Map.of("flow.py", selfHashing("original")));
      return cm;
    });
    assertUnchanged(awaitVersion("selfhash-v1", x -> isTrue(x, "Ready")), original);
    Play done = Flows.awaitFinal(client, ns, "waits");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    assertEquals("original", done.getStatus().getOutput().get("variant").asText());
  }

  @Test
  void aConfigMapPlantedUnderABuiltinSourceNameIsNeverRead() throws Exception {
    BuiltinFlow hello = BuiltinFlow.ALL.stream().filter(f -> f.flowName().equals("hello")).findFirst().orElseThrow();
    FlowSource real = new FlowSource(Files.readAllBytes(cluster.repoRoot().resolve("flows/builtin/hello.py")));
    String planted = hello.configMapName(real.digest());
    client.resource(new ConfigMapBuilder().withNewMetadata().withName(planted).withNamespace(ns)
          .withLabels(Map.of("app.kubernetes.io/managed-by", "hero-logic-seeder", "herologic.io/builtin", "true")).endMetadata()
        .withImmutable(true)
        .withBinaryData(Map.of("flow.py", base64(selfHashing("planted").replace("selfhash", "hello")))).build()).create();
    OperatorProcess operator = OperatorProcess.running(cluster);
    try {
      operator.restart(false, Map.of("HEROLOGIC_SEED_BUILTIN_FLOWS", "true", "HEROLOGIC_SEED_NAMESPACES", ns));
      WorkflowVersion seeded = awaitVersion(hello.versionName(real.digest()), x -> isTrue(x, "Ready"));
      String read = seeded.getSpec().getSourceRef().getName();
      assertTrue(read.startsWith(planted + "-"), read);
      assertEquals(real.digest(), seeded.getStatus().getDigest());
      List<Event> warnings = warnings("ConfigMap", planted, "UnverifiedConfigMap");
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).getMessage().contains("reads ConfigMap " + read + " instead"), warnings.get(0).getMessage());
    } finally {
      operator.restart(false, Map.of());
    }
  }

  @Test
  void aConfigMapPlantedUnderTheSnapshotNameIsNeverMounted() {
    String real = selfHashing("real");
    FlowSource source = source(real);
    String planted = source.configMapName();
    // Everything an attacker can copy: our labels, immutable, the right key; only the bytes differ.
    client.resource(new ConfigMapBuilder().withNewMetadata().withName(planted).withNamespace(ns)
          .withLabels(Map.of("app.kubernetes.io/managed-by", "hero-logic", "herologic.io/role", "flow-source")).endMetadata()
        .withImmutable(true)
        .withBinaryData(Map.of("flow.py", base64(selfHashing("planted")))).build()).create();
    Flows.install(client, ns, "selfhash", real);

    WorkflowVersion ready = awaitVersion("selfhash-v1", x -> isTrue(x, "Ready"));
    assertEquals(source.digest(), ready.getStatus().getDigest());
    String mounted = ready.getStatus().getSourceConfigMap();
    assertNotEquals(planted, mounted);
    assertTrue(mounted.startsWith(planted + "-"), mounted);
    ConfigMap copy = client.configMaps().inNamespace(ns).withName(mounted).get();
    assertArrayEquals(source.bytes(), Base64.getDecoder().decode(copy.getBinaryData().get("flow.py")));
    assertTrue(copy.getImmutable());
    List<Event> warnings = warnings("WorkflowVersion", "selfhash-v1", "UnverifiedConfigMap");
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).getMessage().startsWith("ConfigMap " + planted + " holds content sha256:"), warnings.get(0).getMessage());
    assertTrue(warnings.get(0).getMessage().contains("published as ConfigMap " + mounted), warnings.get(0).getMessage());

    Play done = runPlay("real");
    assertEquals("real", done.getStatus().getOutput().get("variant").asText());
    assertEquals(source.digest(), "sha256:" + done.getStatus().getOutput().get("sha256").asText());

    // Another version of the same bytes finds the verified copy instead of making another.
    WorkflowVersion again = new WorkflowVersion();
    again.getMetadata().setName("selfhash-v2");
    again.getMetadata().setNamespace(ns);
    again.getSpec().setWorkflow("selfhash");
    again.getSpec().setSource(real);
    client.resource(again).create();
    assertEquals(mounted, awaitVersion("selfhash-v2", x -> isTrue(x, "Ready")).getStatus().getSourceConfigMap());
    assertEquals(1, client.configMaps().inNamespace(ns).list().getItems().stream()
        .filter(cm -> cm.getMetadata().getName().startsWith(planted + "-")).count());
    assertEquals(2, client.configMaps().inNamespace(ns).withName(mounted).get().getMetadata().getOwnerReferences().size());
  }

  @Test
  void aConfigMapPlantedUnderTheSdkNameIsNeverMounted() throws Exception {
    String sdkName = new SdkPublisher(client, null, null).configMapName();
    client.resource(new ConfigMapBuilder().withNewMetadata().withName(sdkName).withNamespace(ns)
          .withLabels(Map.of("app.kubernetes.io/managed-by", "hero-logic", "herologic.io/role", "sdk")).endMetadata()
        .withImmutable(true)
        .withData(Map.of("__init__.py", "raise SystemExit('planted SDK mounted')\n", "planted.py", "")).build()).create();
    Flows.install(client, ns, "sdkcheck", """
        import hashlib, os
        import herologic
        from herologic import flow

        @flow(name="sdkcheck")
        def sdkcheck():
            with open(herologic.__file__, "rb") as f:
                init = hashlib.sha256(f.read()).hexdigest()
            files = sorted(n for n in os.listdir(os.path.dirname(herologic.__file__)) if n.endswith(".py"))
            return {"init_sha256": init, "files": files}
        """);

    Flows.play(client, ns, "sdk", "sdkcheck", null);
    Play done = Flows.awaitFinal(client, ns, "sdk");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    byte[] realInit = Files.readAllBytes(cluster.repoRoot().resolve("flows/herologic/__init__.py"));
    assertEquals(new FlowSource(realInit).digest(), "sha256:" + done.getStatus().getOutput().get("init_sha256").asText());
    assertFalse(done.getStatus().getOutput().get("files").toString().contains("planted.py"));

    String sdkVolume = client.pods().inNamespace(ns).withName(done.getStatus().getPodName()).get().getSpec().getVolumes().stream()
        .filter(v -> "sdk".equals(v.getName())).findFirst().orElseThrow().getConfigMap().getName();
    assertTrue(sdkVolume.startsWith(sdkName + "-"), sdkVolume);
    List<Event> warnings = warnings("ConfigMap", sdkName, "UnverifiedConfigMap");
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).getMessage().contains("mount ConfigMap " + sdkVolume + " instead"), warnings.get(0).getMessage());
  }

  private static void assertUnchanged(WorkflowVersion v, FlowSource original) {
    assertEquals(original.digest(), v.getStatus().getDigest());
    assertEquals(original.configMapName(), v.getStatus().getSourceConfigMap());
    assertEquals("True", condition(v, "Ready").getStatus(), condition(v, "Ready").getMessage());
    assertEquals((long) original.bytes().length, v.getStatus().getSizeBytes());
  }

  private Play runPlay(String name) {
    Flows.play(client, ns, name, "selfhash", null);
    Play done = Flows.awaitFinal(client, ns, name);
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    assertNotNull(done.getStatus().getOutput(), "Play " + name + " succeeded without its output (see the flow log in test-diagnostics)");
    return done;
  }

  private List<Event> warnings(String kind, String name, String reason) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> "Warning".equals(e.getType()) && reason.equals(e.getReason()))
        .filter(e -> kind.equals(e.getInvolvedObject().getKind()) && name.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  private static FlowSource source(String text) {
    return new FlowSource(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String base64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Condition condition(WorkflowVersion v, String type) {
    return v.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst()
        .orElseThrow(() -> new AssertionError("no condition " + type + " in " + v.getStatus().getConditions()));
  }

  private static boolean isTrue(WorkflowVersion v, String type) {
    return v.getStatus().getConditions().stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private WorkflowVersion awaitVersion(String name, Predicate<WorkflowVersion> condition) {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> client.resources(WorkflowVersion.class).inNamespace(ns).withName(name).get(), x -> x != null && condition.test(x));
  }
}
