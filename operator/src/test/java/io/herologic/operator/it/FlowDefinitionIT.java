package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.seed.BuiltinFlowSeeder;
import io.herologic.testing.Edits;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** WorkflowVersions, Workflows and the built-in flow seeder, with the operator running. */
@DevClusterTest
class FlowDefinitionIT {
  private KubernetesClient client;
  private String ns;
  private DevCluster cluster;

  /** Raw strings with backslashes, triple double quotes inside the code, tabs and non-ASCII text. */
  static final String TRICKY_SOURCE = "# -*- coding: utf-8 -*-\n"
      + "import hashlib, re\n"
      + "from herologic import flow\n\n"
      + "PATTERN = r\"\\n?\\d+\\\\\"\n"
      + "DOC = \"\"\"a \"quoted\" \\\"\"\" inside\"\"\"\n"
      + "TABBED = \"\tcol1\tcol2\"\n"
      + "GREEK = \"καλημέρα — ünïcødé ✓\"\n\n"
      + "@flow(name=\"tricky\")\n"
      + "def tricky():\n"
      + "\t# a tab-indented body\n"
      + "\twith open(__file__, \"rb\") as f:\n"
      + "\t\tdigest = hashlib.sha256(f.read()).hexdigest()\n"
      + "\treturn {\"pattern\": PATTERN, \"doc\": DOC, \"tabbed\": TABBED, \"greek\": GREEK, \"sha256\": digest,\n"
      + "\t        \"matches\": bool(re.fullmatch(PATTERN, \"\\n42\\\\\"))}\n";

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
  }

  @Test
  void aVersionWithoutAFlowIsNotReadyWithAMessage() {
    WorkflowVersion v = version("plain", "w", "print('no decorator here')\n");
    client.resource(v).create();
    WorkflowVersion seen = awaitVersion("plain", x -> !x.getStatus().getConditions().isEmpty());
    var ready = seen.getStatus().getConditions().get(0);
    assertEquals("False", ready.getStatus());
    assertEquals("NoFlowDecorator", ready.getReason());
    assertTrue(ready.getMessage().contains("no function decorated with @flow"), ready.getMessage());

    client.resource(version("broken", "w", "from herologic import flow\n\n@flow(name=NAME)\ndef f():\n    pass\n")).create();
    var invalid = awaitVersion("broken", x -> !x.getStatus().getConditions().isEmpty()).getStatus().getConditions().get(0);
    assertEquals("InvalidFlow", invalid.getReason());
    assertTrue(invalid.getMessage().startsWith("line 3:"), invalid.getMessage());
  }

  @Test
  void aSourceOverTheLimitIsRefusedWithItsSize() {
    String big = "from herologic import flow\n\n@flow\ndef big():\n    pass\n" + ("# padding " + "x".repeat(100) + "\n").repeat(5500);
    client.resource(version("big", "w", big)).create();
    var tooLarge = awaitVersion("big", x -> !x.getStatus().getConditions().isEmpty()).getStatus().getConditions().get(0);
    assertEquals("SourceTooLarge", tooLarge.getReason());
    assertTrue(tooLarge.getMessage().matches("source is \\d+ bytes; the limit is 524288 bytes"), tooLarge.getMessage());
  }

  @Test
  void aVersionFromAConfigMapWaitsForItAndThePlayRunsTheExactBytes() throws Exception {
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setName("tricky-v1");
    v.getMetadata().setNamespace(ns);
    v.getSpec().setWorkflow("tricky");
    v.getSpec().setSourceRef(new ConfigMapKeyRef("tricky-source", "flow.py"));
    client.resource(v).create();
    var missing = awaitVersion("tricky-v1", x -> !x.getStatus().getConditions().isEmpty()).getStatus().getConditions().get(0);
    assertEquals("SourceNotFound", missing.getReason());

    byte[] bytes = TRICKY_SOURCE.getBytes(StandardCharsets.UTF_8);
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("tricky-source").withNamespace(ns).endMetadata()
        .withBinaryData(Map.of("flow.py", Base64.getEncoder().encodeToString(bytes))).build()).create();
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    WorkflowVersion ready = awaitVersion("tricky-v1", x -> x.getStatus().getConditions().stream().anyMatch(c -> "True".equals(c.getStatus())));
    assertEquals("sha256:" + sha, ready.getStatus().getDigest());
    assertEquals("tricky", ready.getStatus().getFlowName());
    ConfigMap published = client.configMaps().inNamespace(ns).withName(ready.getStatus().getSourceConfigMap()).get();
    assertArrayEquals(bytes, Base64.getDecoder().decode(published.getBinaryData().get("flow.py")));
    assertTrue(published.getImmutable());

    Workflow w = new Workflow();
    w.getMetadata().setName("tricky");
    w.getMetadata().setNamespace(ns);
    w.getSpec().setCurrentVersion("tricky-v1");
    client.resource(w).create();
    Flows.play(client, ns, "t", "tricky", null);
    Play done = Flows.awaitFinal(client, ns, "t");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    var out = done.getStatus().getOutput();
    assertEquals(sha, out.get("sha256").asText(), "the Pod ran exactly the stored bytes");
    assertEquals("\\n?\\d+\\\\", out.get("pattern").asText());
    assertEquals("a \"quoted\" \"\"\" inside", out.get("doc").asText());
    assertEquals("\tcol1\tcol2", out.get("tabbed").asText());
    assertEquals("καλημέρα — ünïcødé ✓", out.get("greek").asText());
    assertTrue(out.get("matches").asBoolean());
    assertEquals("sha256:" + sha, done.getStatus().getDigest());
  }

  @Test
  void theWorkflowShowsItsResolvedVersionAndCountsVersions() {
    client.resource(version("hello-v1", "hello", Flows.builtinSource(cluster, "hello"))).create();
    client.resource(version("hello-v2", "hello", Flows.builtinSource(cluster, "hello") + "\n# v2\n")).create();
    Workflow w = new Workflow();
    w.getMetadata().setName("hello");
    w.getMetadata().setNamespace(ns);
    w.getSpec().setCurrentVersion("hello-v9");
    client.resource(w).create();
    Workflow missing = awaitWorkflow(x -> x.getStatus().getVersions() != null && x.getStatus().getVersions() == 2 && Boolean.FALSE.equals(x.getStatus().getReady()));
    assertEquals("VersionNotFound", missing.getStatus().getConditions().get(0).getReason());
    editWorkflow(x -> x.getSpec().setCurrentVersion("hello-v2"));
    Workflow ready = awaitWorkflow(x -> Boolean.TRUE.equals(x.getStatus().getReady()));
    assertEquals("hello-v2", ready.getStatus().getCurrentVersion());
    assertTrue(ready.getStatus().getDigest().startsWith("sha256:"));
    assertEquals("hello", ready.getStatus().getFlowName());
  }

  @Test
  void seedingTwiceGivesOneOfEachAndUserEditsSurviveRestarts() {
    OperatorProcess operator = OperatorProcess.running(cluster);
    Map<String, String> seedHere = Map.of("HEROLOGIC_SEED_BUILTIN_FLOWS", "true", "HEROLOGIC_SEED_NAMESPACES", ns);
    try {
      operator.restart(false, seedHere);
      operator.restart(false, seedHere);
      assertEquals(2, client.resources(Workflow.class).inNamespace(ns).list().getItems().size());
      assertEquals(2, client.resources(WorkflowVersion.class).inNamespace(ns).list().getItems().size());
      assertEquals(2, client.configMaps().inNamespace(ns).withLabel("herologic.io/builtin", "true").list().getItems().size());
      Workflow agent = client.resources(Workflow.class).inNamespace(ns).withName("service-agent-v3").get();
      assertNull(agent.getSpec().getServiceAccountName(), "the agent's Pod needs no API token: the operator hands it the Services");
      assertEquals(Boolean.TRUE, agent.getSpec().getDiscoverServices());
      assertNotNull(agent.getSpec().getLlm(), "the agent declares that it calls a model");
      assertNull(client.resources(Workflow.class).inNamespace(ns).withName("hello").get().getSpec().getLlm(), "hello never sees an LLM key");

      Workflow hello = client.resources(Workflow.class).inNamespace(ns).withName("hello").get();
      String builtinVersion = hello.getSpec().getCurrentVersion();
      client.resource(version("hello-mine", "hello", Flows.builtinSource(cluster, "hello") + "\n# my change\n")).create();
      editWorkflow(x -> {
        x.getSpec().setCurrentVersion("hello-mine");
        x.getSpec().setDescription("ours now");
      });
      operator.restart(false, seedHere);
      Workflow after = client.resources(Workflow.class).inNamespace(ns).withName("hello").get();
      assertEquals("hello-mine", after.getSpec().getCurrentVersion(), "a user's pin survives a restart");
      assertEquals("ours now", after.getSpec().getDescription());

      // A Workflow still exactly as the seeder left it, pinned to an older built-in version, follows the release.
      WorkflowVersion older = version("hello-older", "hello", Flows.builtinSource(cluster, "hello") + "\n# last release\n");
      older.getMetadata().setLabels(Map.of("herologic.io/builtin", "true"));
      client.resource(older).create();
      editWorkflow(x -> {
        x.getSpec().setCurrentVersion("hello-older");
        x.getSpec().setDescription(hello.getSpec().getDescription());
        x.getMetadata().getAnnotations().put(BuiltinFlowSeeder.SEEDED_SPEC, BuiltinFlowSeeder.specHash(x.getSpec()));
      });
      operator.restart(false, seedHere);
      assertEquals(builtinVersion, client.resources(Workflow.class).inNamespace(ns).withName("hello").get().getSpec().getCurrentVersion());
      assertNotEquals("hello-older", builtinVersion);
    } finally {
      operator.restart(false, Map.of());
    }
  }

  private void editWorkflow(java.util.function.Consumer<Workflow> change) {
    Edits.edit(client.resources(Workflow.class).inNamespace(ns).withName("hello"), x -> {
      change.accept(x);
      return x;
    });
  }

  private WorkflowVersion version(String name, String workflow, String source) {
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setName(name);
    v.getMetadata().setNamespace(ns);
    v.getSpec().setWorkflow(workflow);
    v.getSpec().setSource(source);
    return v;
  }

  private WorkflowVersion awaitVersion(String name, java.util.function.Predicate<WorkflowVersion> condition) {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> client.resources(WorkflowVersion.class).inNamespace(ns).withName(name).get(), condition::test);
  }

  private Workflow awaitWorkflow(java.util.function.Predicate<Workflow> condition) {
    return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .until(() -> client.resources(Workflow.class).inNamespace(ns).withName("hello").get(), condition::test);
  }
}
