package io.herologic.operator.it;

import io.herologic.testing.Edits;
import io.herologic.testing.ServiceAccountKubeconfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRule;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectRulesReviewStatus;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlaySchedule;
import io.herologic.model.PlayTemplate;
import io.herologic.model.Span;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.kube.Labels;
import io.herologic.operator.seed.BuiltinFlowSeeder;
import io.herologic.testing.DevCluster;
import io.herologic.testing.HelmTemplate;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The Helm chart's RBAC is enough and no more. Each test renders the chart with helm (the pinned
 * binary from helm/test/helm.sh), applies its ServiceAccounts, Roles and bindings, mints a token for
 * the operator's ServiceAccount and runs the packaged operator with that token and the chart's own
 * environment. Then Plays must run through their whole lifecycle and the built-in flows must seed,
 * while anything outside the rules (Secrets, CRDs, ClusterRoles, namespaces not watched) is refused.
 */
@DevClusterTest
class RbacIT {
  /**
   * What the operator's code calls, written out a second time on purpose (the chart's
   * _helpers.tpl holds the first): a permission added to the chart without a reason fails here.
   */
  private static final Set<String> OPERATOR_RULES = triples(
      "herologic.io/plays=get,list,watch,create,delete,patch",
      "herologic.io/playschedules=get,list,watch",
      "herologic.io/workflows=get,list,watch,create,update",
      "herologic.io/workflowversions=get,list,watch,create",
      "herologic.io/plays/status=patch",
      "herologic.io/workflows/status=patch",
      "herologic.io/workflowversions/status=patch",
      "herologic.io/playschedules/status=patch",
      "/pods=get,list,watch,create,delete",
      "/pods/log=get",
      "/configmaps=get,list,watch,create,patch",
      "/serviceaccounts=get",
      "/services=list",
      "/events=create");
  private static final Set<String> LEASE_RULES = triples("coordination.k8s.io/leases=get,create,update,patch");
  /** The UI asks who a viewer is and what they may read: cluster-scoped APIs, granted in every watch mode. */
  private static final Set<String> REVIEW_RULES = triples(
      "authentication.k8s.io/tokenreviews=create",
      "authorization.k8s.io/subjectaccessreviews=create");
  /** Every authenticated user may ask what it may do (system:basic-user). */
  private static final Set<String> SELF_REVIEWS = triples(
      "authorization.k8s.io/selfsubjectaccessreviews=create",
      "authorization.k8s.io/selfsubjectrulesreviews=create",
      "authentication.k8s.io/selfsubjectreviews=create");

  private DevCluster cluster;
  private KubernetesClient admin;
  private String ns;

  @BeforeEach
  void setUp(DevCluster cluster, KubernetesClient admin, TestNamespace namespace) {
    OperatorProcess.running(cluster); // installs the CRDs; stopped while each test runs its own operator
    this.cluster = cluster;
    this.admin = admin;
    this.ns = namespace.name();
  }

  // ---- watching a list of namespaces: a Role per namespace -------------------------------------------

  @Test
  void namespacedRolesRunPlaysSeedFlowsAndRefuseEverythingElse() throws Throwable {
    String teamB = createNamespace(ns + "-b");
    String outside = createNamespace(ns + "-out");
    Chart chart = new Chart("rbac-" + suffix(), createNamespace(ns + "-sys"),
        List.of("--set", "watchNamespaces={" + ns + "," + teamB + "}"));
    for (String namespace : List.of(outside, ns)) {
      admin.resource(new SecretBuilder().withNewMetadata().withName("db").withNamespace(namespace).endMetadata()
          .addToStringData("password", "hunter2").build()).create();
    }
    String oldBuiltin = prepareSeededWorkflowOnAnOlderBuiltinVersion();
    try {
      chart.install();
      assertEquals(Set.of(ns, teamB), chart.namespacesOf("Role", chart.fullname()), "one operator Role per watched namespace");
      assertEquals(Set.of(chart.fullname() + "-reviews"), names(chart.objects("ClusterRole")), "nothing cluster-wide but the UI's reviews");
      assertEquals(Set.of(chart.fullname() + "-reviews"), names(chart.objects("ClusterRoleBinding")));

      chart.runOperators(1, () -> {
        KubernetesClient operator = chart.operatorClient();

        // Seeding: both watched namespaces get the built-in flows; the seeder moves the pin of the
        // Workflow it still owns (an update) and the versions parse from their ConfigMaps.
        Workflow moved = Awaitility.await().atMost(Duration.ofSeconds(60))
            .until(() -> admin.resources(Workflow.class).inNamespace(ns).withName("hello").get(),
                w -> !oldBuiltin.equals(w.getSpec().getCurrentVersion()));
        assertTrue(moved.getSpec().getCurrentVersion().startsWith("hello-"), "the seeder moved the pin of the Workflow it still owns (update)");
        for (String namespace : List.of(ns, teamB)) {
          for (String workflow : List.of("hello", "service-agent-v3")) {
            Workflow w = Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> admin.resources(Workflow.class).inNamespace(namespace).withName(workflow).get(), x -> x != null);
            awaitReadyVersion(namespace, w.getSpec().getCurrentVersion());
          }
        }
        assertEquals(Boolean.TRUE, admin.resources(Workflow.class).inNamespace(ns).withName("service-agent-v3").get().getSpec().getDiscoverServices());

        assertPlayLifecycle(ns);
        Flows.play(admin, teamB, "hi-b", "hello", Map.of("name", "B"));
        assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, teamB, "hi-b").getStatus().getPhase(), "the second watched namespace");
        assertFlowRunnerRoleIsEnoughAndNoMore(ns);
        assertSharedSourceGetsASecondOwner(ns);
        assertFinishedPlayExpires(ns);

        // Refused: Secrets anywhere, namespaces not watched, cluster-scoped objects.
        // The operator touches no Secret: a flow's inputs travel in its Pod, LLM keys as secretKeyRefs the kubelet resolves.
        assertForbidden("list Secrets in a watched namespace", () -> operator.secrets().inNamespace(ns).list());
        assertForbidden("read a Secret in a watched namespace", () -> operator.secrets().inNamespace(ns).withName("db").get());
        assertForbidden("create a Secret in a watched namespace", () -> operator.resource(new SecretBuilder().withNewMetadata()
            .withName("made").withNamespace(ns).endMetadata().addToStringData("k", "v").build()).create());
        assertForbidden("read a Secret in another namespace", () -> operator.secrets().inNamespace(outside).withName("db").get());
        assertForbidden("list Pods in a namespace it does not watch", () -> operator.pods().inNamespace(outside).list());
        assertForbidden("list Plays in a namespace it does not watch", () -> operator.resources(Play.class).inNamespace(outside).list());
        assertCommonRefusals(operator);

        assertReviewsWork(operator, ns);
        assertEquals(union(OPERATOR_RULES, REVIEW_RULES), rulesIn(operator, ns), "exactly the operator's rules in " + ns);
        assertEquals(union(OPERATOR_RULES, REVIEW_RULES), rulesIn(operator, teamB), "exactly the operator's rules in " + teamB);
        assertEquals(REVIEW_RULES, rulesIn(operator, outside), "only the cluster-wide reviews in a namespace it does not watch");
        assertEquals(REVIEW_RULES, rulesIn(operator, chart.namespace), "only the reviews in its own namespace with one replica (no Lease)");
        assertFalse(can(operator, "*", "*", "*", "", ns), "can-i '*' '*'");
      });
    } finally {
      chart.uninstall();
      deleteNamespaces(teamB, outside, chart.namespace);
    }
  }

  // ---- watching every namespace: one ClusterRole -------------------------------------------------------

  @Test
  void clusterRoleRunsPlaysInAnyNamespaceAndRefusesEverythingElse() throws Throwable {
    String other = createNamespace(ns + "-other");
    Chart chart = new Chart("rbac-" + suffix(), createNamespace(ns + "-sys"),
        List.of("--set", "watchAllNamespaces=true", "--set", "seedNamespaces={" + ns + "}"));
    try {
      chart.install();
      assertEquals(Set.of(chart.fullname(), chart.fullname() + "-reviews"), names(chart.objects("ClusterRole")));
      assertTrue(chart.objects("Role").stream().allMatch(r -> r.getMetadata().getName().equals("herologic-flow-runner")), "no namespaced operator Role");
      assertEquals(Set.of(ns), chart.namespacesOf("ServiceAccount", "herologic-flow-runner"), "the flow runner where the operator seeds");

      chart.runOperators(1, () -> {
        KubernetesClient operator = chart.operatorClient();
        Workflow hello = Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> admin.resources(Workflow.class).inNamespace(ns).withName("hello").get(), x -> x != null);
        // Its first run is due at the next whole minute; the checks below run meanwhile.
        PlaySchedule everyMinute = everyMinuteSchedule(ns);
        awaitReadyVersion(ns, hello.getSpec().getCurrentVersion());
        assertPlayLifecycle(ns);
        assertFlowRunnerRoleIsEnoughAndNoMore(ns);

        // A namespace created after the start, with flows installed by hand, runs too.
        Flows.install(admin, other, "hello", Flows.builtinSource(cluster, "hello"));
        Flows.play(admin, other, "elsewhere", "hello", Map.of());
        assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, other, "elsewhere").getStatus().getPhase());

        assertForbidden("list Secrets", () -> operator.secrets().inNamespace(other).list());
        assertForbidden("list Secrets in every namespace", () -> operator.secrets().inAnyNamespace().list());
        assertForbidden("list Namespaces", () -> operator.namespaces().list());
        assertCommonRefusals(operator);
        assertReviewsWork(operator, other);
        assertEquals(union(OPERATOR_RULES, REVIEW_RULES), rulesIn(operator, other), "exactly the operator's rules, cluster-wide");
        assertFalse(can(operator, "*", "*", "*", "", other), "can-i '*' '*'");
        assertTrue(can(operator, "create", "", "pods", "", other), "can-i create pods (the check itself works)");
        assertFalse(can(operator, "create", "", "pods", "exec", other), "can-i create pods/exec");
        assertFalse(can(operator, "update", "", "pods", "", other), "can-i update pods");
        assertScheduleRan(everyMinute);
      });
    } finally {
      chart.uninstall();
      deleteNamespaces(other, chart.namespace);
    }
  }

  // ---- two replicas: leader election through the chart's Lease Role -----------------------------------

  @Test
  void twoReplicasElectOneLeaderWithTheLeaseRole() throws Throwable {
    Chart chart = new Chart("rbac-" + suffix(), createNamespace(ns + "-sys"),
        List.of("--set", "watchNamespaces={" + ns + "}", "--set", "replicas=2", "--set", "seedBuiltinFlows=false"));
    try {
      chart.install();
      assertEquals(Set.of(chart.namespace), chart.namespacesOf("Role", chart.fullname() + "-leader-election"));
      assertTrue(chart.env().get("QUARKUS_PROFILE").contains("leader-election"), chart.env().toString());

      chart.runOperators(2, () -> {
        Lease lease = awaitLease(chart.namespace);
        assertTrue(Set.of(chart.fullname() + "-a", chart.fullname() + "-b").contains(lease.getSpec().getHolderIdentity()), lease.getSpec().toString());
        Flows.install(admin, ns, "hello", Flows.builtinSource(cluster, "hello"));
        Flows.play(admin, ns, "led", "hello", Map.of());
        assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, ns, "led").getStatus().getPhase());
        KubernetesClient operator = chart.operatorClient();
        assertEquals(union(LEASE_RULES, REVIEW_RULES), rulesIn(operator, chart.namespace), "only the Lease (and the reviews) in its own namespace");
        assertForbidden("delete a Lease", () -> operator.leases().inNamespace(chart.namespace).withName(lease.getMetadata().getName()).delete());
      });
    } finally {
      chart.uninstall();
      deleteNamespaces(chart.namespace);
    }
  }

  /** A PlaySchedule starting the hello flow every minute. */
  private PlaySchedule everyMinuteSchedule(String namespace) {
    PlaySchedule schedule = new PlaySchedule();
    schedule.getMetadata().setName("every-minute");
    schedule.getMetadata().setNamespace(namespace);
    schedule.getSpec().setSchedule("* * * * *");
    schedule.getSpec().setTemplate(new PlayTemplate());
    schedule.getSpec().getTemplate().setSpec(new io.herologic.model.PlaySpec());
    schedule.getSpec().getTemplate().getSpec().setWorkflow("hello");
    return admin.resource(schedule).create();
  }

  /** The operator read the schedule, created its Play (create plays), which ran, and wrote the schedule's status. */
  private void assertScheduleRan(PlaySchedule schedule) {
    String namespace = schedule.getMetadata().getNamespace();
    PlaySchedule started = Awaitility.await().atMost(Duration.ofSeconds(90)).until(
        () -> admin.resources(PlaySchedule.class).inNamespace(namespace).withName(schedule.getMetadata().getName()).get(),
        s -> s.getStatus() != null && s.getStatus().getLastPlay() != null);
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, namespace, started.getStatus().getLastPlay()).getStatus().getPhase());
  }

  // ---- what every setup must do ---------------------------------------------------------------------------

  /** A hello Play succeeds with its span tree and Events, a failing flow fails, a cancel cancels. */
  private void assertPlayLifecycle(String namespace) {
    Flows.play(admin, namespace, "hi", "hello", Map.of("name", "Ada", "steps", 2));
    Play hi = Flows.awaitFinal(admin, namespace, "hi");
    assertEquals(PlayPhase.Succeeded, hi.getStatus().getPhase(), hi.getStatus().getMessage());
    assertNotNull(hi.getStatus().getOutput(), "no output, so no span events came through pods/log: " + hi.getStatus().getConditions());
    assertEquals("Hello, Ada!", hi.getStatus().getOutput().get("greeting").asText());
    List<Span> spans = hi.getStatus().getSpans();
    assertEquals("hello", spans.get(0).getName());
    Span step2 = spans.stream().filter(s -> s.getName().equals("step 2")).findFirst().orElseThrow();
    assertEquals(2, SpanTrees.depthOf(spans, step2));
    assertEquals(List.of("step 2 of 2 done"), step2.getLogs(), "the span events came through pods/log");
    List<String> reasons = Awaitility.await().atMost(Duration.ofSeconds(10))
        .until(() -> eventReasons(namespace, "hi"), r -> r.contains("Succeeded"));
    assertTrue(reasons.contains("Started"), reasons.toString());

    Flows.install(admin, namespace, "boom", """
        from herologic import flow, step

        @flow(name="boom")
        def boom():
            with step("explode"):
                raise ValueError("the answer was not 42")
        """);
    Flows.play(admin, namespace, "b", "boom", null);
    Play boom = Flows.awaitFinal(admin, namespace, "b");
    assertEquals(PlayPhase.Failed, boom.getStatus().getPhase());
    assertEquals("ValueError", boom.getStatus().getError().getType());

    Flows.install(admin, namespace, "slow", """
        import time
        from herologic import flow, step

        @flow(name="slow")
        def slow():
            with step("wait"):
                time.sleep(120)
        """);
    Flows.play(admin, namespace, "stopme", "slow", null);
    Play running = Flows.awaitPhase(admin, namespace, "stopme", PlayPhase.Running);
    Edits.edit(admin.resources(Play.class).inNamespace(namespace).withName("stopme"), p -> {
      p.getSpec().setCancel(true);
      return p;
    });
    assertEquals(PlayPhase.Cancelled, Flows.awaitFinal(admin, namespace, "stopme").getStatus().getPhase());
    Awaitility.await().atMost(Duration.ofSeconds(30))
        .until(() -> admin.pods().inNamespace(namespace).withName(running.getStatus().getPodName()).get() == null);
  }

  /**
   * A flow running as herologic-flow-runner (the operator checks the ServiceAccount exists first) lists
   * Services and starts a child Play, and is refused Secrets and Pods.
   */
  private void assertFlowRunnerRoleIsEnoughAndNoMore(String namespace) {
    Flows.install(admin, namespace, "whoami", """
        from herologic import flow, step
        from herologic.kube import KubeApiError, KubeClient
        from herologic.plays import play_run_async

        @flow(name="whoami")
        def whoami():
            kube = KubeClient.in_cluster()
            ns = kube.namespace

            def status(path):
                try:
                    kube.get(path)
                    return 200
                except KubeApiError as e:
                    return e.status

            with step("discover"):
                services = len(kube.get(f"/api/v1/namespaces/{ns}/services")["items"])
            child = play_run_async("hello", {"name": "child"}, name="whoami-child")
            return {"services": services, "child": child,
                    "plays": status(f"/apis/herologic.io/v1alpha1/namespaces/{ns}/plays"),
                    "secrets": status(f"/api/v1/namespaces/{ns}/secrets"),
                    "pods": status(f"/api/v1/namespaces/{ns}/pods"),
                    "configmaps": status(f"/api/v1/namespaces/{ns}/configmaps")}
        """, spec -> spec.setServiceAccountName("herologic-flow-runner"));
    Flows.play(admin, namespace, "who", "whoami", null);
    Play who = Flows.awaitFinal(admin, namespace, "who");
    assertEquals(PlayPhase.Succeeded, who.getStatus().getPhase(), who.getStatus().getMessage());
    var out = who.getStatus().getOutput();
    assertEquals("whoami-child", out.get("child").asText());
    assertEquals(200, out.get("plays").asInt(), out.toString());
    assertEquals(403, out.get("secrets").asInt(), out.toString());
    assertEquals(403, out.get("pods").asInt(), out.toString());
    assertEquals(403, out.get("configmaps").asInt(), out.toString());
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, namespace, "whoami-child").getStatus().getPhase(), "the child Play the agent started");
  }

  /** Two versions with the same bytes share one source ConfigMap: the operator adds an ownerReference (patch). */
  private void assertSharedSourceGetsASecondOwner(String namespace) {
    WorkflowVersion twin = new WorkflowVersion();
    twin.getMetadata().setName("boom-v2");
    twin.getMetadata().setNamespace(namespace);
    twin.getSpec().setWorkflow("boom");
    twin.getSpec().setSource(admin.resources(WorkflowVersion.class).inNamespace(namespace).withName("boom-v1").get().getSpec().getSource());
    admin.resource(twin).create();
    WorkflowVersion ready = awaitReadyVersion(namespace, "boom-v2");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      ConfigMap cm = admin.configMaps().inNamespace(namespace).withName(ready.getStatus().getSourceConfigMap()).get();
      return cm.getMetadata().getOwnerReferences().stream().map(o -> o.getName()).collect(Collectors.toSet());
    }, owners -> owners.equals(Set.of("boom-v1", "boom-v2")));
  }

  /** A finished Play past its time to live is deleted by the operator. */
  private void assertFinishedPlayExpires(String namespace) {
    Play play = new Play();
    play.getMetadata().setName("brief");
    play.getMetadata().setNamespace(namespace);
    play.getSpec().setWorkflow("hello");
    // Long enough that the test sees the Play final before the operator deletes it: with 1 s the
    // operator (finished and deleted 1.1 s after the Pod ended) outran a poll on a busy machine.
    play.getSpec().setTtlSecondsAfterFinished(5L);
    admin.resource(play).create();
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(admin, namespace, "brief").getStatus().getPhase());
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Flows.get(admin, namespace, "brief") == null);
  }

  /**
   * What the UI asks with the chart's RBAC: who a token belongs to (TokenReview) and whether that
   * user may list Plays (SubjectAccessReview); both answers must be real ones, one yes and one no.
   */
  private void assertReviewsWork(KubernetesClient operator, String namespace) {
    String token = UiViewers.token(admin, namespace, "ui-viewer");
    var review = operator.authentication().v1().tokenReviews()
        .create(new io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
    assertTrue(review.getStatus().getAuthenticated(), "the operator may review a token: " + review.getStatus());
    String user = review.getStatus().getUser().getUsername();
    assertEquals("system:serviceaccount:" + namespace + ":ui-viewer", user);
    assertFalse(operatorMayAsk(operator, user, review.getStatus().getUser().getGroups(), namespace), "ui-viewer may not list plays");
    assertTrue(operatorMayAsk(operator, "some-admin", List.of("system:masters"), namespace), "a member of system:masters may");
  }

  private static boolean operatorMayAsk(KubernetesClient operator, String user, List<String> groups, String namespace) {
    return operator.authorization().v1().subjectAccessReview().create(new io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder()
        .withNewSpec().withUser(user).withGroups(groups).withNewResourceAttributes().withGroup("herologic.io").withResource("plays")
        .withVerb("list").withNamespace(namespace).endResourceAttributes().endSpec().build()).getStatus().getAllowed();
  }

  private static void assertCommonRefusals(KubernetesClient operator) {
    assertForbidden("delete a CRD", () -> operator.apiextensions().v1().customResourceDefinitions().withName("plays.herologic.io").delete());
    assertForbidden("create a ClusterRole", () -> operator.rbac().clusterRoles().resource(new ClusterRoleBuilder()
        .withNewMetadata().withName("herologic-escalate").endMetadata()
        .addNewRule().withApiGroups("*").withResources("*").withVerbs("*").endRule().build()).create());
    assertForbidden("list Nodes", () -> operator.nodes().list());
  }

  /**
   * A Workflow named hello pinned to an older built-in version, exactly as the seeder would have
   * left it (the spec hash annotation): the seeder must move its pin, which needs update on workflows.
   */
  private String prepareSeededWorkflowOnAnOlderBuiltinVersion() {
    WorkflowVersion old = new WorkflowVersion();
    old.getMetadata().setName("hello-0000000000");
    old.getMetadata().setNamespace(ns);
    old.getMetadata().setLabels(Map.of(Labels.BUILTIN, "true"));
    old.getSpec().setWorkflow("hello");
    old.getSpec().setSource(Flows.builtinSource(cluster, "hello") + "\n# an older release\n");
    admin.resource(old).create();
    Workflow workflow = new Workflow();
    workflow.getMetadata().setName("hello");
    workflow.getMetadata().setNamespace(ns);
    workflow.getSpec().setCurrentVersion(old.getMetadata().getName());
    Workflow created = admin.resource(workflow).create();
    // The hash of the spec as the API server stores it (with any defaults), as the seeder computes it.
    Edits.edit(admin.resources(Workflow.class).inNamespace(ns).withName("hello"), w -> {
      w.getMetadata().setAnnotations(new LinkedHashMap<>(Map.of(BuiltinFlowSeeder.SEEDED_SPEC, BuiltinFlowSeeder.specHash(created.getSpec()))));
      return w;
    });
    return old.getMetadata().getName();
  }

  // ---- the chart, rendered by helm and applied ---------------------------------------------------------------

  /** One release of the chart: its RBAC and ServiceAccounts applied, its Deployment's environment read. */
  private final class Chart {
    final String release;
    final String namespace;
    final List<String> values;
    private List<HasMetadata> objects = List.of();
    private Path kubeconfig;
    private KubernetesClient operatorClient;

    Chart(String release, String namespace, List<String> values) {
      this.release = release;
      this.namespace = namespace;
      this.values = values;
    }

    String fullname() {
      return release + "-hero-logic";
    }

    /** Applies the chart's ServiceAccounts, Roles, ClusterRoles and bindings as an admin would with helm install. */
    void install() {
      objects = admin.load(new ByteArrayInputStream(render("templates/serviceaccount.yaml", "templates/rbac.yaml", "templates/flow-runner.yaml")
          .getBytes(StandardCharsets.UTF_8))).items();
      assertFalse(objects.isEmpty(), "helm rendered no RBAC");
      for (HasMetadata object : objects) {
        admin.resource(object).create();
      }
      String sa = objects("ServiceAccount").stream().map(o -> o.getMetadata().getName()).filter(n -> !n.equals("herologic-flow-runner"))
          .findFirst().orElseThrow();
      kubeconfig = writeKubeconfig(sa);
    }

    /** The Deployment's environment, as the chart sets it. */
    Map<String, String> env() {
      Deployment deployment = admin.apps().deployments().load(new ByteArrayInputStream(render("templates/deployment.yaml")
          .getBytes(StandardCharsets.UTF_8))).item();
      Map<String, String> env = new LinkedHashMap<>();
      deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
          .filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
      env.remove("QUARKUS_HTTP_PORT"); // OperatorProcess picks a free port
      return env;
    }

    /**
     * Stops the shared operator, runs {@code replicas} operator processes with the chart's
     * ServiceAccount token and environment (each its own HOSTNAME, as Pods have), runs {@code body},
     * then stops them and starts the shared one again.
     */
    void runOperators(int replicas, Executable body) throws Throwable {
      OperatorProcess shared = OperatorProcess.running(cluster);
      shared.stopForAWhile();
      Set<Long> before = childPids();
      List<OperatorProcess> mine = new ArrayList<>();
      try {
        for (int i = 0; i < replicas; i++) {
          Map<String, String> env = new LinkedHashMap<>(env());
          env.put("HOSTNAME", fullname() + "-" + (char) ('a' + i));
          mine.add(OperatorProcess.launch(cluster, kubeconfig, env));
        }
        body.execute();
      } finally {
        mine.forEach(OperatorProcess::stop);
        // A launch that failed (never ready) did not hand its process back: end exactly that one.
        Set<Long> handedBack = new java.util.HashSet<>(before);
        childPids().stream().filter(pid -> !handedBack.contains(pid)).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        shared.start();
      }
    }

    /** A client with the operator's credentials (closed by {@link #uninstall}). */
    KubernetesClient operatorClient() {
      if (operatorClient == null) {
        try {
          operatorClient = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(kubeconfig))).build();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return operatorClient;
    }

    List<HasMetadata> objects(String kind) {
      return objects.stream().filter(o -> o.getKind().equals(kind)).toList();
    }

    Set<String> namespacesOf(String kind, String name) {
      return objects(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).map(o -> o.getMetadata().getNamespace())
          .collect(Collectors.toSet());
    }

    void uninstall() {
      if (operatorClient != null) {
        operatorClient.close();
      }
      if (kubeconfig != null) {
        kubeconfig.toFile().delete(); // it holds a live token
      }
      for (HasMetadata object : objects) {
        try {
          admin.resource(object).delete();
        } catch (KubernetesClientException e) {
          // its namespace may be gone already
        }
      }
    }

    private String render(String... templates) {
      return HelmTemplate.render(cluster.repoRoot(), release, namespace, List.of(templates), values);
    }

    /** A kubeconfig with a fresh token of the ServiceAccount, the admin's server and CA, and the operator's namespace. */
    private Path writeKubeconfig(String serviceAccount) {
      return ServiceAccountKubeconfig.write(admin, cluster.kubeconfig(), namespace, serviceAccount, 3600L,
          Path.of("target", "rbac-" + release + ".kubeconfig"));
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------------------------

  /** The Lease the replicas elect a leader with, once one holds it. */
  private Lease awaitLease(String namespace) {
    try {
      return Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
          .until(() -> admin.leases().inNamespace(namespace).list().getItems().stream()
              .filter(l -> l.getSpec().getHolderIdentity() != null).findFirst().orElse(null), l -> l != null);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("no Lease in the operator's namespace " + namespace + ": leader election never ran. QOSDK elects a "
          + "leader only when a LeaderElectionConfiguration bean exists and a profile listed in the build-time "
          + "quarkus.operator-sdk.activate-leader-election-for-profiles is active (the chart sets QUARKUS_PROFILE=prod,leader-election)", e);
    }
  }

  private WorkflowVersion awaitReadyVersion(String namespace, String name) {
    return Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> admin.resources(WorkflowVersion.class).inNamespace(namespace).withName(name).get(),
            v -> v != null && v.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
  }

  private List<String> eventReasons(String namespace, String play) {
    return Flows.eventReasons(admin, namespace, play);
  }

  /** What `kubectl auth can-i --list -n namespace` shows for the client's user, as group/resource:verb, minus the self reviews. */
  private static Set<String> rulesIn(KubernetesClient client, String namespace) {
    SubjectRulesReviewStatus status = client.authorization().v1().selfSubjectRulesReview()
        .create(new SelfSubjectRulesReviewBuilder().withNewSpec().withNamespace(namespace).endSpec().build()).getStatus();
    assertFalse(Boolean.TRUE.equals(status.getIncomplete()), "the rules review is complete: " + status.getEvaluationError());
    Set<String> granted = new TreeSet<>();
    for (ResourceRule rule : status.getResourceRules()) {
      for (List<String> field : List.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs())) {
        assertFalse(field.contains("*"), "a wildcard in " + rule);
      }
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            granted.add(group + "/" + resource + ":" + verb);
          }
        }
      }
    }
    status.getNonResourceRules().forEach(rule -> assertFalse(rule.getVerbs().contains("*"), "a wildcard verb in " + rule));
    granted.removeAll(SELF_REVIEWS);
    return granted;
  }

  private static boolean can(KubernetesClient client, String verb, String group, String resource, String subresource, String namespace) {
    return client.authorization().v1().selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder().withNewSpec()
        .withNewResourceAttributes().withVerb(verb).withGroup(group).withResource(resource).withSubresource(subresource)
        .withNamespace(namespace).endResourceAttributes().endSpec().build()).getStatus().getAllowed();
  }

  private static void assertForbidden(String what, Executable call) {
    KubernetesClientException e = assertThrows(KubernetesClientException.class, call, what + " must be refused");
    assertEquals(403, e.getCode(), what + ": " + e.getMessage());
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> out = new TreeSet<>(a);
    out.addAll(b);
    return out;
  }

  private static Set<String> names(List<HasMetadata> objects) {
    return objects.stream().map(o -> o.getMetadata().getName()).collect(Collectors.toSet());
  }

  /** "group/resource=verb,verb" -> {"group/resource:verb", ...} */
  private static Set<String> triples(String... rules) {
    Set<String> out = new TreeSet<>();
    for (String rule : rules) {
      String[] parts = rule.split("=");
      for (String verb : parts[1].split(",")) {
        out.add(parts[0] + ":" + verb);
      }
    }
    return out;
  }

  private String createNamespace(String name) {
    admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).addToLabels("herologic.io/test", "true")
        .endMetadata().build()).create();
    return name;
  }

  private void deleteNamespaces(String... names) {
    for (String name : names) {
      admin.namespaces().withName(name).delete();
    }
  }

  private static String suffix() {
    return UUID.randomUUID().toString().substring(0, 5);
  }

  private static Set<Long> childPids() {
    return ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
  }

}
