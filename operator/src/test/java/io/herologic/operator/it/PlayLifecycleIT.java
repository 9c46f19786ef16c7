package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Span;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.play.PlayNames;
import io.herologic.testing.Edits;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The main job on a real cluster: apply a Play, a Pod runs the flow, the status tells what it did. */
@DevClusterTest
class PlayLifecycleIT {
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

  /**
   * The operator writes a launched Play's status only once its Pod runs; the Pod records the launch
   * in between. An operator stopped in that window, whose successor finds a Workflow that pins
   * another version by then, adopts the Pod with the version, digest and trace id it runs: no
   * second Pod, no second resolve.
   */
  @Test
  void aPodLaunchedBeforeTheStatusSaidSoIsAdoptedWithTheLaunchItRecords() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "warm", "hello", Map.of("name", "Ada", "steps", 1));
    Play warm = Flows.awaitFinal(client, ns, "warm");
    Pod warmPod = client.pods().inNamespace(ns).withName(warm.getStatus().getPodName()).get();
    String traceId = "0123456789abcdef0123456789abcdef";

    OperatorProcess.withoutOperator(() -> {
      Play resumed = Flows.play(client, ns, "resumed", "hello", Map.of("name", "Ada", "steps", 1));
      // What launching left when the operator stopped before the status said so: the Pod.
      Pod pod = new PodBuilder(warmPod).withMetadata(ownedBy(resumed, PlayNames.pod(resumed), warmPod.getMetadata())).withStatus(null).build();
      pod.getMetadata().getAnnotations().put("herologic.io/trace-id", traceId);
      pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals("HEROLOGIC_TRACE_ID")).forEach(e -> e.setValue(traceId));
      client.resource(pod).create();
      // Meanwhile the Workflow moved on: resolving the Play again would wait for a version that does not exist.
      Edits.edit(client.resources(Workflow.class).inNamespace(ns).withName("hello"), w -> {
        w.getSpec().setCurrentVersion("hello-v9");
        return w;
      });
    });

    Play resumed = Flows.awaitFinal(client, ns, "resumed");
    assertEquals(PlayPhase.Succeeded, resumed.getStatus().getPhase(), resumed.getStatus().getMessage());
    assertEquals("hello-v1", resumed.getStatus().getWorkflowVersion(), "the version the Pod runs, not the one pinned now");
    assertEquals(warm.getStatus().getDigest(), resumed.getStatus().getDigest());
    assertEquals(traceId, resumed.getStatus().getTraceId());
    assertEquals(PlayNames.pod(resumed), resumed.getStatus().getPodName());
    assertEquals("Hello, Ada!", resumed.getStatus().getOutput().get("greeting").asText());
    List<String> pods = client.pods().inNamespace(ns).list().getItems().stream().map(p -> p.getMetadata().getName())
        .filter(n -> n.startsWith("resumed-")).toList();
    assertEquals(List.of(PlayNames.pod(resumed)), pods, "the Pod was adopted, not launched again");
  }

  /** {@code template}'s labels and annotations, named {@code name} and controlled by {@code play}. */
  private static ObjectMeta ownedBy(Play play, String name, ObjectMeta template) {
    Map<String, String> labels = new HashMap<>(template.getLabels());
    labels.put("herologic.io/play", play.getMetadata().getName());
    return new ObjectMetaBuilder().withName(name).withNamespace(play.getMetadata().getNamespace()).withLabels(labels)
        .withAnnotations(template.getAnnotations() == null ? new HashMap<>() : new HashMap<>(template.getAnnotations()))
        .withOwnerReferences(new OwnerReferenceBuilder(template.getOwnerReferences().get(0))
            .withName(play.getMetadata().getName()).withUid(play.getMetadata().getUid()).build())
        .build();
  }

  @Test
  void helloSucceedsWithItsSpanTreeOutputPodAndEvents() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "hi", "hello", Map.of("name", "Ada", "steps", 2));
    Play play = Flows.awaitFinal(client, ns, "hi");

    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals("hello-v1", play.getStatus().getWorkflowVersion());
    assertTrue(play.getStatus().getDigest().startsWith("sha256:"));
    assertEquals("Hello, Ada!", play.getStatus().getOutput().get("greeting").asText());
    List<Span> spans = play.getStatus().getSpans();
    assertEquals("hello", spans.get(0).getName());
    assertEquals("flow", spans.get(0).getKind());
    assertEquals(0, SpanTrees.depthOf(spans, spans.get(0)));
    Span step2 = spans.stream().filter(s -> s.getName().equals("step 2")).findFirst().orElseThrow();
    assertEquals(2, SpanTrees.depthOf(spans, step2));
    assertEquals(0L, spans.get(0).getStartOffsetMs(), "the trace starts with the flow's root span");
    assertTrue(step2.getStartOffsetMs() > 0, "step 2 starts after the flow: " + step2.getStartOffsetMs());
    assertTrue(play.getStatus().getTraceStartTime().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
        play.getStatus().getTraceStartTime());
    assertEquals("Ok", step2.getStatus());
    assertEquals(List.of("step 2 of 2 done"), step2.getLogs());
    assertTrue(spans.stream().anyMatch(s -> s.getLogs() != null && s.getLogs().contains("Hello, Ada!")), "print() lands in a span's logs");
    assertEquals(spans.size(), play.getStatus().getSpanCount());
    assertNotNull(play.getStatus().getDurationMs());
    assertNotNull(play.getStatus().getCompletionTime());
    assertEquals(32, play.getStatus().getTraceId().length());
    assertTrue(play.getStatus().getConditions().stream().noneMatch(c -> c.getType().startsWith("Trace")),
        "a complete, small trace is neither incomplete nor truncated: " + play.getStatus().getConditions());

    Pod pod = client.pods().inNamespace(ns).withName(play.getStatus().getPodName()).get();
    assertEquals("Play", pod.getMetadata().getOwnerReferences().get(0).getKind());
    assertTrue(pod.getSpec().getSecurityContext().getRunAsNonRoot());
    assertFalse(pod.getSpec().getAutomountServiceAccountToken());
    assertEquals(List.of("ALL"), pod.getSpec().getContainers().get(0).getSecurityContext().getCapabilities().getDrop());
    assertEquals("python:3.12-slim", pod.getSpec().getContainers().get(0).getImage());

    List<String> reasons = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> eventReasons("hi"), r -> r.contains("Succeeded"));
    assertTrue(reasons.contains("Started"), reasons.toString());

    String metrics = Awaitility.await().atMost(Duration.ofSeconds(10)).until(this::metrics,
        m -> m.contains("herologic_plays_finished_total{phase=\"Succeeded\",workflow=\"hello\"}"));
    assertTrue(metrics.contains("herologic_plays_started_total{workflow=\"hello\"}"), "started counter");
    assertTrue(metrics.contains("herologic_status_patches_total"), "patch counter");
    assertTrue(metrics.contains("herologic_play_duration_seconds_count{phase=\"Succeeded\",workflow=\"hello\"}"), "duration histogram");
    assertTrue(series(metrics, "herologic_status_lag_seconds_count") >= 1, "the writes that carried the trace count how long it waited");
    assertTrue(series(metrics, "herologic_status_patch_seconds_count") >= series(metrics, "herologic_status_lag_seconds_count"),
        "every write that carried trace changes was a patch");
  }

  private static double series(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
        .findFirst().orElseThrow(() -> new AssertionError(name + " not in /q/metrics"));
  }

  private String metrics() throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + OperatorProcess.running(cluster).port() + "/q/metrics"))
        .header("Authorization", "Bearer " + UiViewers.everywhere(client)).build(); // a viewer allowed to get /metrics
    return http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void aDeletedSdkConfigMapIsPublishedAgain() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "first", "hello", null);
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(client, ns, "first").getStatus().getPhase());
    // What a namespace deleted and created again under the same name looks like to the operator.
    assertEquals(1, client.configMaps().inNamespace(ns).withLabel("herologic.io/role", "sdk").delete().size());
    Flows.play(client, ns, "second", "hello", null);
    Play second = Flows.awaitPlay(client, ns, "second", Duration.ofSeconds(60), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, second.getStatus().getPhase(), second.getStatus().getMessage());
    assertEquals(1, client.configMaps().inNamespace(ns).withLabel("herologic.io/role", "sdk").list().getItems().size());
  }

  @Test
  void aPlayWaitsForItsWorkflowAndStartsWhenItAppears() {
    Flows.play(client, ns, "early", "hello", Map.of());
    Play waiting = Flows.awaitPlay(client, ns, "early", Duration.ofSeconds(30),
        p -> p.getStatus().getConditions().stream().anyMatch(c -> "WorkflowNotFound".equals(c.getReason())));
    assertEquals(PlayPhase.Pending, waiting.getStatus().getPhase());
    assertTrue(waiting.getStatus().getMessage().contains("Workflow hello not found in namespace " + ns), waiting.getStatus().getMessage());
    assertTrue(client.pods().inNamespace(ns).list().getItems().isEmpty());

    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Play done = Flows.awaitFinal(client, ns, "early");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    assertEquals("Hello, world!", done.getStatus().getOutput().get("greeting").asText(), "declared defaults apply");
  }

  /**
   * A 403 on the Pod's create is often passing (here a full ResourceQuota; after an API server
   * restart, an authorizer whose caches are still filling): the Play waits with the API server's
   * own message and a Warning Event, tries again, and runs once the API server allows the Pod.
   */
  @Test
  void aPlayWhosePodIsForbiddenWaitsAndRunsOnceItIsAllowed() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    client.resource(new ResourceQuotaBuilder().withNewMetadata().withName("no-pods").withNamespace(ns).endMetadata()
        .withNewSpec().withHard(Map.of("pods", new Quantity("0"))).endSpec().build()).create();
    Flows.play(client, ns, "over-quota", "hello", null);
    Play waiting = Flows.awaitPlay(client, ns, "over-quota", Duration.ofSeconds(60),
        p -> p.getStatus().getConditions().stream().anyMatch(c -> "PodForbidden".equals(c.getReason())));
    assertEquals(PlayPhase.Pending, waiting.getStatus().getPhase());
    assertTrue(waiting.getStatus().getMessage().contains("403 Forbidden") && waiting.getStatus().getMessage().contains("quota"),
        waiting.getStatus().getMessage());
    assertTrue(client.pods().inNamespace(ns).list().getItems().isEmpty());
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> client.v1().events().inNamespace(ns).list().getItems().stream()
        .anyMatch(e -> "over-quota".equals(e.getInvolvedObject().getName()) && "PodForbidden".equals(e.getReason())
            && "Warning".equals(e.getType())));

    client.resources(ResourceQuota.class).inNamespace(ns).withName("no-pods").delete();
    Play done = Flows.awaitFinal(client, ns, "over-quota");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    assertEquals(Integer.valueOf(1), done.getStatus().getAttempt());
  }

  @Test
  void inputsThatDoNotMatchFailAtOnceNamingTheFieldAndNoPodIsCreated() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "bad", "hello", Map.of("steps", "three", "colour", "red"));
    Play play = Flows.awaitFinal(client, ns, "bad");
    assertEquals(PlayPhase.Failed, play.getStatus().getPhase());
    String message = play.getStatus().getMessage();
    assertTrue(message.contains("spec.inputs.steps: must be an integer, got string \"three\""), message);
    assertTrue(message.contains("spec.inputs.colour: the flow declares no such input"), message);
    assertEquals("InvalidInputs", play.getStatus().getError().getType());
    assertNull(play.getStatus().getPodName());
    assertTrue(client.pods().inNamespace(ns).list().getItems().isEmpty());
    // No Pod ran, but the Play still shows which version (and exact source) its inputs were checked against.
    WorkflowVersion pinned = client.resources(WorkflowVersion.class).inNamespace(ns).withName("hello-v1").get();
    assertEquals("hello-v1", play.getStatus().getWorkflowVersion());
    assertNotNull(pinned.getStatus().getDigest());
    assertEquals(pinned.getStatus().getDigest(), play.getStatus().getDigest());
  }

  @Test
  void aFlowThatRaisesFailsWithItsTraceback() {
    Flows.install(client, ns, "boom", """
        from herologic import flow, step

        @flow(name="boom")
        def boom():
            with step("explode") as s:
                s.log("about to fail")
                raise ValueError("the answer was not 42")
        """);
    Flows.play(client, ns, "b", "boom", null);
    Play play = Flows.awaitFinal(client, ns, "b");
    assertEquals(PlayPhase.Failed, play.getStatus().getPhase());
    assertEquals("ValueError", play.getStatus().getError().getType());
    assertEquals("the answer was not 42", play.getStatus().getError().getMessage());
    assertTrue(play.getStatus().getError().getTraceback().contains("raise ValueError"), play.getStatus().getError().getTraceback());
    Span explode = play.getStatus().getSpans().stream().filter(s -> s.getName().equals("explode")).findFirst().orElseThrow();
    assertEquals("Error", explode.getStatus());
    assertEquals("ValueError", explode.getError().getType());
    assertTrue(play.getStatus().getMessage().startsWith("ValueError: the answer was not 42"), play.getStatus().getMessage());
  }

  @Test
  void aDeadlineStopsTheFlowAndFailsThePlay() {
    installSlow();
    Flows.play(client, ns, "late", "slow", null, spec -> spec.setTimeoutSeconds(3L));
    Play done = Flows.awaitFinal(client, ns, "late");
    assertEquals(PlayPhase.Failed, done.getStatus().getPhase());
    assertTrue(done.getStatus().getConditions().stream().anyMatch(c -> "DeadlineExceeded".equals(c.getReason())), done.getStatus().getConditions().toString());
    assertTrue(done.getStatus().getMessage().contains("deadline of 3s"), done.getStatus().getMessage());
  }

  @Test
  void deletingTheRunningPodFailsThePlayInsteadOfLeavingItRunning() {
    installSlow();
    Flows.play(client, ns, "victim", "slow", null);
    Play running = Flows.awaitPlay(client, ns, "victim", Duration.ofSeconds(60),
        p -> p.getStatus().getSpans() != null && p.getStatus().getSpans().size() == 2);
    client.pods().inNamespace(ns).withName(running.getStatus().getPodName()).delete();
    Play done = Flows.awaitFinal(client, ns, "victim");
    assertEquals(PlayPhase.Failed, done.getStatus().getPhase());
    assertTrue(done.getStatus().getMessage().contains("killed") || done.getStatus().getMessage().contains("deleted")
        || done.getStatus().getMessage().contains("Terminated"), done.getStatus().getMessage());
    assertEquals("wait", done.getStatus().getSpans().get(1).getName(), "the spans seen before the loss stay");
  }

  @Test
  void cancelStopsThePodAndEndsThePlayAsCancelled() {
    installSlow();
    Flows.play(client, ns, "stopme", "slow", null);
    Play running = Flows.awaitPhase(client, ns, "stopme", PlayPhase.Running);
    Edits.edit(client.resources(Play.class).inNamespace(ns).withName("stopme"), p -> {
      p.getSpec().setCancel(true);
      return p;
    });
    Play done = Flows.awaitFinal(client, ns, "stopme");
    assertEquals(PlayPhase.Cancelled, done.getStatus().getPhase());
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> client.pods().inNamespace(ns).withName(running.getStatus().getPodName()).get() == null);
  }

  @Test
  void anOperatorRestartMidRunLosesAndDoublesNothing() {
    Flows.install(client, ns, "ticker", """
        import time
        from herologic import flow, step

        @flow(name="ticker")
        def ticker(n: int = 30):
            for i in range(n):
                with step(f"tick {i}") as s:
                    s.log(f"tick {i}")
                    time.sleep(0.2)
            return n
        """);
    Flows.play(client, ns, "through-restart", "ticker", Map.of("n", 30));
    Flows.awaitPlay(client, ns, "through-restart", Duration.ofSeconds(60),
        p -> p.getStatus().getSpans() != null && p.getStatus().getSpans().size() > 3);
    OperatorProcess operator = OperatorProcess.running(cluster);
    operator.stopForAWhile();
    sleep(2000);
    operator.start();
    Play done = Flows.awaitFinal(client, ns, "through-restart");
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    List<String> names = done.getStatus().getSpans().stream().map(Span::getName).toList();
    assertEquals(31, names.size(), names.toString());
    assertEquals(31, Set.copyOf(names).size(), "no span doubled");
    for (int i = 0; i < 30; i++) {
      int tick = i;
      Span span = done.getStatus().getSpans().stream().filter(s -> s.getName().equals("tick " + tick)).findFirst().orElseThrow();
      assertEquals(List.of("tick " + tick), span.getLogs(), "each log line exactly once");
    }
  }

  @Test
  void garbageAndHugeOutputLeaveTheOperatorFineAndTheStatusWithinBudget() {
    Flows.install(client, ns, "noisy", """
        import os, sys
        from herologic import flow, step

        @flow(name="noisy")
        def noisy():
            os.write(1, b"@@herologic@@ {not json at all\\n")
            os.write(1, b"\\x00\\xff\\xfe binary junk\\n")
            with step("flood") as s:
                for i in range(20000):
                    print("line", i, "x" * 200)
            for i in range(3000):
                with step(f"s{i}") as s:
                    s.tag(blob="y" * 3000)
            os.write(1, b"z" * (3 * 1024 * 1024) + b"\\n")
            return {"ok": True}
        """);
    Flows.play(client, ns, "loud", "noisy", null);
    Play done = Flows.awaitPlay(client, ns, "loud", Duration.ofSeconds(180), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), done.getStatus().getMessage());
    int size = io.fabric8.kubernetes.client.utils.Serialization.asJson(done).length();
    assertTrue(size < 1_100_000, "the Play is " + size + " bytes");
    assertTrue(done.getStatus().getDropped().getSpans() > 0);
    assertTrue(done.getStatus().getConditions().stream().anyMatch(c -> "TraceTruncated".equals(c.getType())));
    assertTrue(done.getStatus().getOutput().get("ok").asBoolean());
    // the operator still serves other Plays
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "after", "hello", null);
    assertEquals(PlayPhase.Succeeded, Flows.awaitFinal(client, ns, "after").getStatus().getPhase());
  }

  @Test
  void deletingAPlayDeletesItsPodAndFinishedPlaysExpireAfterTheirTtl() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    Flows.play(client, ns, "short-lived", "hello", null, spec -> spec.setTtlSecondsAfterFinished(5L)); // long enough to be seen final before it is deleted
    Play done = Flows.awaitFinal(client, ns, "short-lived");
    String pod = done.getStatus().getPodName();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Flows.get(client, ns, "short-lived") == null);
    // Kubernetes' garbage collector deletes the Pod. It learns new resource types from discovery every
    // 30 s, so in the first half minute after the CRDs were installed it cannot map the Play yet.
    Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> client.pods().inNamespace(ns).withName(pod).get() == null);
  }

  @Test
  void aFlowStartsAChildPlayThroughTheApiAsItsServiceAccount() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
    client.serviceAccounts().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
        .withNewMetadata().withName("starter").addToLabels("herologic.io/flow-runner", "true").endMetadata().build()).create();
    client.rbac().roles().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.rbac.RoleBuilder()
        .withNewMetadata().withName("starter").endMetadata()
        .addNewRule().withApiGroups("herologic.io").withResources("plays").withVerbs("create", "get").endRule().build()).create();
    client.rbac().roleBindings().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder()
        .withNewMetadata().withName("starter").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("starter").endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName("starter").withNamespace(ns).endSubject().build()).create();
    Flows.install(client, ns, "parent", """
        from herologic import flow, play_run_async

        @flow(name="parent")
        def parent():
            return {"child": play_run_async("hello", {"name": "child"})}
        """, workflow -> workflow.setServiceAccountName("starter"));

    Flows.play(client, ns, "mother", "parent", null);
    Play parent = Flows.awaitFinal(client, ns, "mother");
    assertEquals(PlayPhase.Succeeded, parent.getStatus().getPhase(), parent.getStatus().getMessage());
    String child = parent.getStatus().getOutput().get("child").asText();
    Span link = parent.getStatus().getSpans().stream().filter(sp -> "child-play".equals(sp.getKind())).findFirst().orElseThrow();
    assertEquals(ns + "/" + child, link.getTags().get("herologic.child_play").asText());
    Play started = Flows.awaitFinal(client, ns, child);
    assertEquals(PlayPhase.Succeeded, started.getStatus().getPhase());
    assertEquals("mother", started.getMetadata().getLabels().get("herologic.io/parent-play"));
    assertEquals("Hello, child!", started.getStatus().getOutput().get("greeting").asText());
    Pod pod = client.pods().inNamespace(ns).withName(parent.getStatus().getPodName()).get();
    assertTrue(pod.getSpec().getAutomountServiceAccountToken(), "a Workflow with a service account gets its token");
  }

  private void installSlow() {
    Flows.install(client, ns, "slow", """
        import time
        from herologic import flow, step

        @flow(name="slow")
        def slow():
            with step("wait"):
                time.sleep(120)
        """);
  }

  private List<String> eventReasons(String play) {
    return Flows.eventReasons(client, ns, play);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
