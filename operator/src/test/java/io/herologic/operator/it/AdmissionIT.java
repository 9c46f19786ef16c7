package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.LlmSettings;
import io.herologic.model.Play;
import io.herologic.model.PlaySchedule;
import io.herologic.model.PlayTemplate;
import io.herologic.model.SecretKeyRef;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.Edits;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The chart's ValidatingAdmissionPolicies (templates/admission.yaml, installed with the operator by
 * {@link OperatorProcess#running}) on the real API server: every field that turns into power demands
 * the permission it amounts to from whoever writes it. Each case acts as distinct users (impersonated
 * from the admin kubeconfig) holding exactly the Role the case needs, and shows both sides: the user
 * without the permission is refused with a message naming the field, the permission and the namespace,
 * and nothing is stored; the user with it gets the object created.
 */
@DevClusterTest
class AdmissionIT {
  private static final String LLM_SECRET = "herologic-llm"; // the chart's default llmSecretName
  private static boolean enforced;

  private DevCluster cluster;
  private KubernetesClient admin;
  private String ns;
  private final List<KubernetesClient> users = new ArrayList<>();

  @BeforeEach
  void setUp(DevCluster cluster, KubernetesClient admin, TestNamespace namespace) {
    OperatorProcess.running(cluster); // installs the CRDs and the policies
    this.cluster = cluster;
    this.admin = admin;
    this.ns = namespace.name();
    awaitPoliciesEnforced();
  }

  @AfterEach
  void closeUsers() {
    users.forEach(KubernetesClient::close);
  }

  // ---- Play ------------------------------------------------------------------------------------------------

  @Test
  void aPlaysImageNeedsCreatePods() {
    KubernetesClient mallory = user("mallory", create("herologic.io", "plays"), rule("herologic.io", "plays", "get", "patch"));
    KubernetesClient builder = user("builder", create("herologic.io", "plays"), create("", "pods"));

    assertDenied(() -> mallory.resource(play("own-image", s -> s.setImage("evil.example/miner"))).create(),
        "spec.image: mallory may not create pods in namespace " + ns);
    assertNull(playNamed("own-image"), "nothing stored");
    assertNotNull(mallory.resource(play("stock-image", s -> { })).create(), "a Play without an image needs only create plays");

    builder.resource(play("own-image", s -> s.setImage("registry.example/flows:1"))).create();
    assertEquals("registry.example/flows:1", playNamed("own-image").getSpec().getImage());

    // Cancelling someone else's Play that names an image changes no image: allowed without create pods.
    Edits.edit(mallory.resources(Play.class).inNamespace(ns).withName("own-image"), p -> {
      p.getSpec().setCancel(true);
      return p;
    });
    assertTrue(playNamed("own-image").getSpec().isCancelRequested());
  }

  @Test
  void aPlaysApiKeySecretRefNeedsGetOnThatSecret() {
    KubernetesClient mallory = user("mallory", create("herologic.io", "plays"));
    KubernetesClient keyholder = user("keyholder", create("herologic.io", "plays"), getNamed("", "secrets", "team-key"));

    assertDenied(() -> mallory.resource(play("steal", s -> s.setLlm(llm(null, "team-key")))).create(),
        "spec.llm.apiKeySecretRef: mallory may not get Secret team-key in namespace " + ns);
    assertNull(playNamed("steal"));

    keyholder.resource(play("mine", s -> s.setLlm(llm(null, "team-key")))).create();
    assertEquals("team-key", playNamed("mine").getSpec().getLlm().getApiKeySecretRef().getName());
    // The permission is for that Secret by name, not for Secrets.
    assertDenied(() -> keyholder.resource(play("other", s -> s.setLlm(llm(null, "db-password")))).create(),
        "spec.llm.apiKeySecretRef: keyholder may not get Secret db-password in namespace " + ns);
    assertNull(playNamed("other"));
  }

  @Test
  void aPlaysBaseUrlWithoutItsOwnKeyNeedsGetOnTheNamespacesLlmSecret() {
    KubernetesClient mallory = user("mallory", create("herologic.io", "plays"));
    KubernetesClient keyholder = user("keyholder", create("herologic.io", "plays"), getNamed("", "secrets", "team-key"));
    KubernetesClient llmReader = user("llm-reader", create("herologic.io", "plays"), getNamed("", "secrets", LLM_SECRET));

    assertDenied(() -> mallory.resource(play("exfiltrate", s -> s.setLlm(llm("https://attacker.example/v1", null)))).create(),
        "spec.llm.baseUrl: mallory may not get Secret " + LLM_SECRET + " in namespace " + ns);
    assertNull(playNamed("exfiltrate"));
    // A model is no power: it sends no key anywhere new.
    LlmSettings modelOnly = new LlmSettings();
    modelOnly.setModel("small");
    mallory.resource(play("model-only", s -> s.setLlm(modelOnly))).create();
    assertEquals("small", playNamed("model-only").getSpec().getLlm().getModel());

    // A baseUrl with a key of one's own sends only that key.
    keyholder.resource(play("own-gateway", s -> s.setLlm(llm("https://gateway.example/v1", "team-key")))).create();
    assertNotNull(playNamed("own-gateway"));
    llmReader.resource(play("namespace-key", s -> s.setLlm(llm("https://gateway.example/v1", null)))).create();
    assertNotNull(playNamed("namespace-key"));
  }

  // ---- Workflow --------------------------------------------------------------------------------------------

  @Test
  void aWorkflowsServiceAccountImageAndKeyNeedTheirPermissions() {
    KubernetesClient author = user("author", create("herologic.io", "workflows"));
    KubernetesClient owner = user("owner", create("herologic.io", "workflows"), create("", "pods"), getNamed("", "secrets", "team-key"));

    assertDenied(() -> author.resource(workflow("runner", s -> s.setServiceAccountName("herologic-flow-runner"))).create(),
        "spec.serviceAccountName: author may not create pods in namespace " + ns);
    assertDenied(() -> author.resource(workflow("runner", s -> s.setImage("evil.example/miner"))).create(),
        "spec.image: author may not create pods in namespace " + ns);
    assertDenied(() -> author.resource(workflow("runner", s -> s.setLlm(llm(null, "team-key")))).create(),
        "spec.llm.apiKeySecretRef: author may not get Secret team-key in namespace " + ns);
    assertDenied(() -> author.resource(workflow("runner", s -> s.setLlm(llm("https://attacker.example/v1", null)))).create(),
        "spec.llm.baseUrl: author may not get Secret " + LLM_SECRET + " in namespace " + ns);
    assertNull(workflowNamed("runner"));
    author.resource(workflow("plain", s -> { })).create();
    assertNotNull(workflowNamed("plain"), "a Workflow without those fields needs only create workflows");

    owner.resource(workflow("runner", s -> {
      s.setServiceAccountName("herologic-flow-runner");
      s.setImage("registry.example/flows:1");
      s.setLlm(llm("https://gateway.example/v1", "team-key"));
    })).create();
    Workflow stored = workflowNamed("runner");
    assertEquals("herologic-flow-runner", stored.getSpec().getServiceAccountName());
    assertEquals("registry.example/flows:1", stored.getSpec().getImage());
  }

  @Test
  void anUpdateIsCheckedOnlyForTheFieldsItChanges() {
    admin.resource(workflow("agent", s -> {
      s.setServiceAccountName("herologic-flow-runner");
      s.setImage("registry.example/flows:1");
      s.setLlm(llm("https://gateway.example/v1", "team-key"));
    })).create();
    KubernetesClient releaser = user("releaser", rule("herologic.io", "workflows", "get", "update", "patch"));
    var agent = releaser.resources(Workflow.class).inNamespace(ns).withName("agent");

    // Moving the pin touches none of the powerful fields the Workflow already has.
    Edits.edit(agent, w -> {
      w.getSpec().setCurrentVersion("agent-v2");
      return w;
    });
    assertEquals("agent-v2", workflowNamed("agent").getSpec().getCurrentVersion());

    assertDenied(() -> Edits.edit(agent, w -> {
      w.getSpec().setServiceAccountName("another-runner");
      return w;
    }), "spec.serviceAccountName: releaser may not create pods in namespace " + ns);
    // Dropping the Workflow's own key would send the namespace's key to its baseUrl.
    assertDenied(() -> Edits.edit(agent, w -> {
      w.getSpec().getLlm().setApiKeySecretRef(null);
      return w;
    }), "spec.llm.baseUrl: releaser may not get Secret " + LLM_SECRET + " in namespace " + ns);
    Workflow unchanged = workflowNamed("agent");
    assertEquals("herologic-flow-runner", unchanged.getSpec().getServiceAccountName(), "a refused update loses nothing");
    assertEquals("team-key", unchanged.getSpec().getLlm().getApiKeySecretRef().getName());
    assertEquals("agent-v2", unchanged.getSpec().getCurrentVersion());
  }

  // ---- PlaySchedule ---------------------------------------------------------------------------------------

  @Test
  void aPlayScheduleAsksItsAuthorWhatItsPlaysWould() {
    KubernetesClient scheduler = user("scheduler", create("herologic.io", "playschedules"));
    KubernetesClient runner = user("runner", create("herologic.io", "playschedules"), create("herologic.io", "plays"),
        rule("herologic.io", "playschedules", "get", "update", "patch"));
    KubernetesClient builder = user("builder", create("herologic.io", "playschedules"), create("herologic.io", "plays"),
        create("", "pods"), getNamed("", "secrets", "team-key"));
    KubernetesClient onCall = user("on-call", rule("herologic.io", "playschedules", "get", "update", "patch"));

    // The operator creates the Plays, but for the schedule's author: who may not create Plays may not schedule them.
    assertDenied(() -> scheduler.resource(schedule("nightly", s -> { })).create(),
        "spec.template: scheduler may not create plays in namespace " + ns);
    assertNull(scheduleNamed("nightly"), "nothing stored");
    runner.resource(schedule("nightly", s -> { })).create();
    assertNotNull(scheduleNamed("nightly"));

    // The template's powerful fields ask what a Play's would.
    assertDenied(() -> runner.resource(schedule("miner", s -> s.setImage("evil.example/miner"))).create(),
        "spec.template.spec.image: runner may not create pods in namespace " + ns);
    assertDenied(() -> runner.resource(schedule("steal", s -> s.setLlm(llm(null, "team-key")))).create(),
        "spec.template.spec.llm.apiKeySecretRef: runner may not get Secret team-key in namespace " + ns);
    assertDenied(() -> runner.resource(schedule("exfiltrate", s -> s.setLlm(llm("https://attacker.example/v1", null)))).create(),
        "spec.template.spec.llm.baseUrl: runner may not get Secret " + LLM_SECRET + " in namespace " + ns);
    assertDenied(() -> Edits.edit(runner.resources(PlaySchedule.class).inNamespace(ns).withName("nightly"), s -> {
      s.getSpec().getTemplate().getSpec().setImage("evil.example/miner");
      return s;
    }), "spec.template.spec.image: runner may not create pods in namespace " + ns);
    assertNull(scheduleNamed("nightly").getSpec().getTemplate().getSpec().getImage(), "a refused update loses nothing");

    builder.resource(schedule("built", s -> {
      s.setImage("registry.example/flows:1");
      s.setLlm(llm("https://gateway.example/v1", "team-key"));
    })).create();
    assertEquals("registry.example/flows:1", scheduleNamed("built").getSpec().getTemplate().getSpec().getImage());
    // Suspending a schedule changes no template: allowed without create plays or pods.
    Edits.edit(onCall.resources(PlaySchedule.class).inNamespace(ns).withName("built"), s -> {
      s.getSpec().setSuspend(true);
      return s;
    });
    assertTrue(scheduleNamed("built").getSpec().isSuspended());
  }

  // ---- WorkflowVersion --------------------------------------------------------------------------------------

  @Test
  void aWorkflowVersionsSourceRefNeedsGetOnThatConfigMap() {
    for (String name : List.of("flow-src", "secret-src")) {
      admin.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName(name).endMetadata()
          .addToData("flow.py", "from herologic import flow\n\n@flow(name=\"x\")\ndef x():\n    return 1\n").build()).create();
    }
    KubernetesClient author = user("author", create("herologic.io", "workflowversions"));
    KubernetesClient reader = user("reader", create("herologic.io", "workflowversions"), getNamed("", "configmaps", "flow-src"));

    assertDenied(() -> author.resource(version("x-v1", "flow-src")).create(),
        "spec.sourceRef: author may not get ConfigMap flow-src in namespace " + ns);
    assertNull(versionNamed("x-v1"));
    WorkflowVersion inline = version("x-inline", null);
    inline.getSpec().setSource("from herologic import flow\n\n@flow(name=\"x\")\ndef x():\n    return 1\n");
    author.resource(inline).create();
    assertNotNull(versionNamed("x-inline"), "an inline source needs only create workflowversions");

    reader.resource(version("x-v1", "flow-src")).create();
    assertEquals("flow-src", versionNamed("x-v1").getSpec().getSourceRef().getName());
    assertDenied(() -> reader.resource(version("x-v2", "secret-src")).create(),
        "spec.sourceRef: reader may not get ConfigMap secret-src in namespace " + ns);
    assertNull(versionNamed("x-v2"));
  }

  // ---- namespaces no operator watches -----------------------------------------------------------------------

  @Test
  void aNamespaceNoOperatorWatchesRefusesNewObjects() {
    String outside = ns + "-out";
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(outside).addToLabels("herologic.io/test", "true")
        .endMetadata().build()).create();
    String release = "adm-" + UUID.randomUUID().toString().substring(0, 5);
    List<HasMetadata> policies = List.of();
    try {
      policies = cluster.installAdmissionPolicies(release, List.of("--set", "watchNamespaces={" + ns + "}"));
      String refused = "no hero-logic operator watches namespace " + outside;
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        try {
          admin.resource(play("probe", outside, s -> { })).dryRun().create();
          return false;
        } catch (KubernetesClientException e) {
          return e.getMessage().contains(refused);
        }
      });
      // Everyone is refused, the cluster admin too: nothing would ever run it.
      assertDenied(() -> admin.resource(play("hello", outside, s -> { })).create(), refused + ": a Play created here would never run");
      assertDenied(() -> admin.resource(workflow("hello", outside, s -> { })).create(), refused + ": a Workflow");
      WorkflowVersion version = version("hello-v1", null);
      version.getMetadata().setNamespace(outside);
      version.getSpec().setSource("x = 1\n");
      assertDenied(() -> admin.resource(version).create(), refused + ": a WorkflowVersion");
      assertTrue(admin.resources(Play.class).inNamespace(outside).list().getItems().isEmpty(), "nothing stored");
      assertTrue(admin.resources(Workflow.class).inNamespace(outside).list().getItems().isEmpty(), "nothing stored");

      admin.resource(play("hello", s -> { })).create();
      assertNotNull(playNamed("hello"), "the watched namespace takes new Plays");
    } finally {
      cluster.uninstall(policies);
    }
    // Cleaned up: the namespace takes Plays again (as it does with the ITs' operator, which watches all).
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> admin.resource(play("after", outside, s -> { })).create() != null);
    admin.namespaces().withName(outside).delete();
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  /**
   * The API server compiles a new policy shortly after it is stored: wait (once per run) until a user
   * without create pods is refused a Play with an image, so no case below races it.
   */
  private void awaitPoliciesEnforced() {
    if (enforced) {
      return;
    }
    KubernetesClient probe = user("probe", create("herologic.io", "plays"));
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try {
        probe.resource(play("probe", s -> s.setImage("x"))).dryRun().create();
        return false;
      } catch (KubernetesClientException e) {
        return e.getCode() == 403 && e.getMessage().contains("spec.image");
      }
    });
    enforced = true;
  }

  /**
   * A client acting as user {@code name} (impersonated), who holds exactly {@code rules} in the
   * test's namespace; returns once the API server's authorizer grants them.
   */
  private KubernetesClient user(String name, PolicyRule... rules) {
    admin.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName(name).endMetadata()
        .withRules(rules).build()).create();
    admin.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName(name).endMetadata()
        .withNewRoleRef("rbac.authorization.k8s.io", "Role", name)
        .addNewSubject().withApiGroup("rbac.authorization.k8s.io").withKind("User").withName(name).endSubject().build()).create();
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(admin.getConfiguration()).withImpersonateUsername(name).build()).build();
    users.add(client);
    for (PolicyRule rule : rules) {
      String resourceName = rule.getResourceNames() == null || rule.getResourceNames().isEmpty() ? null : rule.getResourceNames().get(0);
      for (String verb : rule.getVerbs()) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
            .until(() -> can(client, verb, rule.getApiGroups().get(0), rule.getResources().get(0), resourceName));
      }
    }
    return client;
  }

  private boolean can(KubernetesClient client, String verb, String group, String resource, String name) {
    return client.authorization().v1().selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder().withNewSpec()
        .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(resource).withName(name).withNamespace(ns)
        .endResourceAttributes().endSpec().build()).getStatus().getAllowed();
  }

  private static PolicyRule create(String group, String resource) {
    return rule(group, resource, "create");
  }

  private static PolicyRule rule(String group, String resource, String... verbs) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withVerbs(verbs).build();
  }

  private static PolicyRule getNamed(String group, String resource, String name) {
    return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withResourceNames(name).withVerbs("get").build();
  }

  /** The request is refused by a policy (403) whose message contains {@code message}. */
  private static void assertDenied(Executable request, String message) {
    KubernetesClientException e = assertThrows(KubernetesClientException.class, request, "must be refused: " + message);
    assertEquals(403, e.getCode(), e.getMessage());
    assertTrue(e.getMessage().contains("ValidatingAdmissionPolicy") && e.getMessage().contains(message),
        "expected a policy's message containing '" + message + "', got: " + e.getMessage());
  }

  private static LlmSettings llm(String baseUrl, String keySecret) {
    LlmSettings llm = new LlmSettings();
    llm.setBaseUrl(baseUrl);
    if (keySecret != null) {
      llm.setApiKeySecretRef(new SecretKeyRef(keySecret, "apiKey"));
    }
    return llm;
  }

  private Play play(String name, Consumer<io.herologic.model.PlaySpec> settings) {
    return play(name, ns, settings);
  }

  private static Play play(String name, String namespace, Consumer<io.herologic.model.PlaySpec> settings) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(namespace);
    play.getSpec().setWorkflow("hello");
    settings.accept(play.getSpec());
    return play;
  }

  private Workflow workflow(String name, Consumer<io.herologic.model.WorkflowSpec> settings) {
    return workflow(name, ns, settings);
  }

  private static Workflow workflow(String name, String namespace, Consumer<io.herologic.model.WorkflowSpec> settings) {
    Workflow workflow = new Workflow();
    workflow.getMetadata().setName(name);
    workflow.getMetadata().setNamespace(namespace);
    workflow.getSpec().setCurrentVersion(name + "-v1");
    settings.accept(workflow.getSpec());
    return workflow;
  }

  private WorkflowVersion version(String name, String configMap) {
    WorkflowVersion version = new WorkflowVersion();
    version.getMetadata().setName(name);
    version.getMetadata().setNamespace(ns);
    version.getSpec().setWorkflow("x");
    if (configMap != null) {
      version.getSpec().setSourceRef(new ConfigMapKeyRef(configMap, "flow.py"));
    }
    return version;
  }

  /** A PlaySchedule that fires once a year, so the operator starts nothing while the test runs. */
  private PlaySchedule schedule(String name, Consumer<io.herologic.model.PlaySpec> template) {
    PlaySchedule schedule = new PlaySchedule();
    schedule.getMetadata().setName(name);
    schedule.getMetadata().setNamespace(ns);
    schedule.getSpec().setSchedule("0 0 1 1 *");
    schedule.getSpec().setTemplate(new PlayTemplate());
    schedule.getSpec().getTemplate().setSpec(play(name, s -> { }).getSpec());
    template.accept(schedule.getSpec().getTemplate().getSpec());
    return schedule;
  }

  private PlaySchedule scheduleNamed(String name) {
    return admin.resources(PlaySchedule.class).inNamespace(ns).withName(name).get();
  }

  private Play playNamed(String name) {
    return admin.resources(Play.class).inNamespace(ns).withName(name).get();
  }

  private Workflow workflowNamed(String name) {
    return admin.resources(Workflow.class).inNamespace(ns).withName(name).get();
  }

  private WorkflowVersion versionNamed(String name) {
    return admin.resources(WorkflowVersion.class).inNamespace(ns).withName(name).get();
  }
}
