package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.herologic.model.FlowInput;
import io.herologic.model.LlmSettings;
import io.herologic.model.Play;
import io.herologic.model.SecretKeyRef;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.config.ResourceRequirementsConverter;
import io.herologic.operator.kube.Labels;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlayPodFactoryTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static OperatorConfig config() {
    return new OperatorConfig() {
      public String flowImage() { return "python:3.12-slim"; }
      public ResourceRequirements flowResources() {
        return new ResourceRequirementsConverter().convert("{\"requests\":{\"cpu\":\"250m\",\"memory\":\"300Mi\"},\"limits\":{\"memory\":\"1Gi\"}}");
      }
      public long defaultTimeoutSeconds() { return 3600; }
      public Optional<Long> playTtlSecondsAfterFinished() { return Optional.empty(); }
      public long flowUser() { return 65532; }
      public boolean seedBuiltinFlows() { return true; }
      public Optional<List<String>> seedNamespaces() { return Optional.empty(); }
      public String llmSecretName() { return "herologic-llm"; }
      public Optional<String> operatorServiceAccount() { return Optional.empty(); }
      public int childPlayMaxDepth() { return 4; }
      public int childPlaysPerPlay() { return 50; }
      public Optional<Integer> maxRunningPlays() { return Optional.empty(); }
      public Optional<Integer> maxRunningPlaysPerNamespace() { return Optional.empty(); }
      public Otlp otlp() { return null; } // export is not the Pod's business
      public Optional<String> traceUrlTemplate() { return Optional.empty(); }
    };
  }

  private static PlayPodFactory.Inputs inputs(Play play, Workflow workflow) {
    return inputs(play, workflow, null);
  }

  private static PlayPodFactory.Inputs inputs(Play play, Workflow workflow, String services) {
    WorkflowVersion version = new WorkflowVersion();
    version.getMetadata().setName("hello-v1");
    version.getStatus().setDigest("sha256:abc");
    version.getStatus().setFlowName("hello");
    version.getStatus().setSourceConfigMap("hlflow-abc");
    version.getStatus().setInputs(List.of(FlowInput.builder().name("name").type("string").defaultValue(JSON.valueToTree("world")).build(),
        FlowInput.builder().name("steps").type("integer").required(true).build()));
    return new PlayPodFactory.Inputs(play, workflow, version, "herologic-sdk-123", "0123456789abcdef0123456789abcdef", services, config());
  }

  private static Play play() {
    Play play = new Play();
    play.getMetadata().setName("hi");
    play.getMetadata().setNamespace("team");
    play.getMetadata().setUid("8d0c7e39-1111-2222-3333-444455556666");
    play.getSpec().setWorkflow("hello");
    play.getSpec().setInputs(JSON.createObjectNode().put("steps", 2));
    return play;
  }

  private static Workflow workflow() {
    Workflow w = new Workflow();
    w.getMetadata().setName("hello");
    w.getSpec().setCurrentVersion("hello-v1");
    return w;
  }

  private static String env(Pod pod, String name) {
    return pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().map(EnvVar::getValue).orElse(null);
  }

  private static EnvVar envVar(Pod pod, String name) {
    return pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void thePodRecordsItsLaunchSoAnOperatorRestartedBeforeTheStatusSaidSoReadsItBack() {
    Pod pod = PlayPodFactory.build(inputs(play(), workflow()));
    assertEquals(Optional.of(new Launch("hello-v1", "sha256:abc", "hello", "0123456789abcdef0123456789abcdef")), Launch.from(pod));

    pod.getMetadata().getAnnotations().put(Launch.TRACE_ID, "not-a-trace-id");
    assertEquals(Optional.empty(), Launch.from(pod), "a broken record is no record: the Play is resolved again");
    pod.getMetadata().getAnnotations().remove(Launch.TRACE_ID);
    assertEquals(Optional.empty(), Launch.from(pod), "a Pod from an operator before this one records nothing");
  }

  @Test
  void runsUnderTheRestrictedProfileWithoutAnApiToken() {
    Pod pod = PlayPodFactory.build(inputs(play(), workflow()));
    var podSecurity = pod.getSpec().getSecurityContext();
    assertTrue(podSecurity.getRunAsNonRoot());
    assertEquals(65532L, podSecurity.getRunAsUser());
    assertEquals("RuntimeDefault", podSecurity.getSeccompProfile().getType());
    var container = pod.getSpec().getContainers().get(0).getSecurityContext();
    assertFalse(container.getAllowPrivilegeEscalation());
    assertTrue(container.getReadOnlyRootFilesystem());
    assertEquals(List.of("ALL"), container.getCapabilities().getDrop());
    assertFalse(pod.getSpec().getAutomountServiceAccountToken());
    assertNull(pod.getSpec().getServiceAccountName());
    assertEquals("Never", pod.getSpec().getRestartPolicy());
    assertEquals("hi-8d0c7", pod.getMetadata().getName());
    assertEquals("hi", pod.getMetadata().getOwnerReferences().get(0).getName());
    assertTrue(pod.getMetadata().getOwnerReferences().get(0).getController());
  }

  @Test
  void eachAttemptHasAPodOfItsOwnThatKnowsItsNumberAndCarriesTheSameInputs() {
    PlayPodFactory.Inputs first = inputs(play(), workflow());
    PlayPodFactory.Inputs third = new PlayPodFactory.Inputs(first.play(), first.workflow(), first.version(), first.sdkConfigMap(),
        first.traceId(), null, first.config(), 3);
    Pod one = PlayPodFactory.build(first);
    Pod three = PlayPodFactory.build(third);
    assertEquals("hi-8d0c7", one.getMetadata().getName());
    assertEquals("hi-8d0c7-3", three.getMetadata().getName());
    assertEquals("1", env(one, "HEROLOGIC_ATTEMPT"));
    assertEquals("3", env(three, "HEROLOGIC_ATTEMPT"));
    assertEquals(one.getMetadata().getAnnotations().get(PlayPodFactory.INPUTS_ANNOTATION),
        three.getMetadata().getAnnotations().get(PlayPodFactory.INPUTS_ANNOTATION));
  }

  @Test
  void mountsTheSdkTheVersionsSourceAndTheInputsWithDefaultsFromThePodsOwnAnnotation() throws Exception {
    PlayPodFactory.Inputs in = inputs(play(), workflow());
    Pod pod = PlayPodFactory.build(in);
    assertEquals(List.of("python3", "-u", "-m", "herologic.runner", "/flow/flow.py"), pod.getSpec().getContainers().get(0).getCommand());
    assertEquals("herologic-sdk-123", pod.getSpec().getVolumes().get(0).getConfigMap().getName());
    assertEquals("hlflow-abc", pod.getSpec().getVolumes().get(1).getConfigMap().getName());
    assertNull(env(pod, "HEROLOGIC_INPUTS"), "inputs no longer travel in the environment (exec limits it to ~128 KiB)");
    assertEquals("/etc/herologic/run/inputs.json", env(pod, "HEROLOGIC_INPUTS_FILE"));
    var run = pod.getSpec().getVolumes().get(2);
    assertEquals("run", run.getName());
    assertNull(run.getSecret(), "launching creates no Secret");
    var file = run.getDownwardAPI().getItems().get(0);
    assertEquals("inputs.json", file.getPath());
    assertEquals("metadata.annotations['herologic.io/inputs']", file.getFieldRef().getFieldPath());
    String inputs = pod.getMetadata().getAnnotations().get(PlayPodFactory.INPUTS_ANNOTATION);
    assertEquals(JSON.readTree("{\"steps\": 2, \"name\": \"world\"}"), JSON.readTree(inputs), "the declared default applied");
    assertFalse(inputs.contains(" "), "compact JSON, as the size limit counts it");
    assertEquals(4 + 1, pod.getMetadata().getAnnotations().size(), "the launch record's four and the inputs");
    assertEquals("/opt/herologic", env(pod, "PYTHONPATH"));
    assertEquals("sha256:abc", env(pod, "HEROLOGIC_DIGEST"));
    assertEquals(3600L, pod.getSpec().getActiveDeadlineSeconds());
  }

  /** {@link FlowPodStore}: the operator's Pod cache keeps what it reads back (the launch record), not the inputs. */
  @Test
  void theOperatorsPodCacheKeepsTheLaunchRecordButNotTheInputs() {
    Pod pod = PlayPodFactory.build(inputs(play(), workflow()));
    Launch launch = Launch.from(pod).orElseThrow();
    Pod cached = FlowPodStore.trim(pod);
    assertNull(cached.getMetadata().getAnnotations().get(PlayPodFactory.INPUTS_ANNOTATION));
    assertEquals(Optional.of(launch), Launch.from(cached));
  }

  @Test
  void thePlayWinsOverTheWorkflowWhichWinsOverTheOperatorDefaults() {
    Play play = play();
    Workflow workflow = workflow();
    workflow.getSpec().setImage("python:3.11");
    workflow.getSpec().setTimeoutSeconds(600L);
    workflow.getSpec().setServiceAccountName("robot");
    LlmSettings fromWorkflow = new LlmSettings();
    fromWorkflow.setBaseUrl("https://workflow.example/v1");
    fromWorkflow.setModel("small");
    fromWorkflow.setApiKeySecretRef(new SecretKeyRef("workflow-key", "token"));
    workflow.getSpec().setLlm(fromWorkflow);
    play.getSpec().setTimeoutSeconds(30L);
    LlmSettings fromPlay = new LlmSettings();
    fromPlay.setModel("large");
    play.getSpec().setLlm(fromPlay);

    Pod pod = PlayPodFactory.build(inputs(play, workflow));
    assertEquals("python:3.11", pod.getSpec().getContainers().get(0).getImage());
    assertEquals(30L, pod.getSpec().getActiveDeadlineSeconds());
    assertEquals("robot", pod.getSpec().getServiceAccountName());
    assertTrue(pod.getSpec().getAutomountServiceAccountToken());
    assertEquals("large", env(pod, "HEROLOGIC_LLM_MODEL"));
    assertEquals("https://workflow.example/v1", env(pod, "HEROLOGIC_LLM_BASE_URL"));
    var key = envVar(pod, "HEROLOGIC_LLM_API_KEY").getValueFrom().getSecretKeyRef();
    assertEquals("workflow-key", key.getName());
    assertFalse(key.getOptional(), "a key the Workflow names must exist");
  }

  @Test
  void maxTokensAndTemperatureComeFromThePlayElseTheWorkflowElseAreNotSet() {
    Workflow workflow = workflow();
    LlmSettings fromWorkflow = new LlmSettings();
    fromWorkflow.setMaxTokens(4096);
    fromWorkflow.setTemperature(0.2);
    workflow.getSpec().setLlm(fromWorkflow);
    Play play = play();
    LlmSettings fromPlay = new LlmSettings();
    fromPlay.setTemperature(0.0);
    play.getSpec().setLlm(fromPlay);
    Pod pod = PlayPodFactory.build(inputs(play, workflow));
    assertEquals("4096", env(pod, "HEROLOGIC_LLM_MAX_TOKENS"));
    assertEquals("0.0", env(pod, "HEROLOGIC_LLM_TEMPERATURE"), "the Play's 0 wins: it is set");

    workflow.getSpec().setLlm(new LlmSettings());
    Pod unset = PlayPodFactory.build(inputs(play(), workflow));
    assertNull(env(unset, "HEROLOGIC_LLM_MAX_TOKENS"));
    assertNull(env(unset, "HEROLOGIC_LLM_TEMPERATURE"));
  }

  @Test
  void aWorkflowThatDeclaresNoModelGetsNoLlmSettingsAndNoKey() {
    Pod pod = PlayPodFactory.build(inputs(play(), workflow()));
    List<String> names = pod.getSpec().getContainers().get(0).getEnv().stream().map(EnvVar::getName).toList();
    assertTrue(names.stream().noneMatch(n -> n.startsWith("HEROLOGIC_LLM")), names.toString());
    assertTrue(pod.getSpec().getContainers().get(0).getEnvFrom() == null || pod.getSpec().getContainers().get(0).getEnvFrom().isEmpty());
    assertNull(env(pod, "HEROLOGIC_SERVICES"));
  }

  @Test
  void discoveredServicesAreHandedOverWithoutAnApiToken() {
    Workflow workflow = workflow();
    workflow.getSpec().setDiscoverServices(true);
    Pod pod = PlayPodFactory.build(inputs(play(), workflow, "calendar=http://calendar.team.svc:8080/rpc"));
    assertEquals("calendar=http://calendar.team.svc:8080/rpc", env(pod, "HEROLOGIC_SERVICES"));
    assertFalse(pod.getSpec().getAutomountServiceAccountToken());
  }

  @Test
  void namesAndLabelsStayValidForEveryLegalPlayName() {
    String dns1123Subdomain = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
    String labelValue = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
    String longName = "a".repeat(62) + "-" + "b".repeat(100) + "." + "c".repeat(89); // 253 characters
    for (String name : List.of(longName, "x".repeat(62) + "-y", "p".repeat(49) + ".-q", "p".repeat(49) + "-.q", "hi")) {
      Play play = play();
      play.getMetadata().setName(name);
      PlayPodFactory.Inputs in = inputs(play, workflow());
      Pod pod = PlayPodFactory.build(in);
      assertTrue(pod.getMetadata().getName().matches(dns1123Subdomain) && pod.getMetadata().getName().length() <= 63, pod.getMetadata().getName());
      pod.getMetadata().getLabels().values().forEach(v -> assertTrue(v.matches(labelValue) && v.length() <= 63, name + " -> label " + v));
    }
    assertEquals("hi", Labels.value("hi"));
    assertFalse(Labels.value("x".repeat(62) + "-y-z").equals(Labels.value("x".repeat(62) + "-y-w")), "long names keep distinct label values");
  }

  @Test
  void aDeclaredModelGetsTheNamespaceSecretIfItExists() {
    Workflow workflow = workflow();
    workflow.getSpec().setLlm(new LlmSettings());
    Pod pod = PlayPodFactory.build(inputs(play(), workflow));
    assertEquals("herologic-llm", env(pod, "HEROLOGIC_LLM_SECRET"));
    for (String name : List.of("HEROLOGIC_LLM_BASE_URL", "HEROLOGIC_LLM_MODEL", "HEROLOGIC_LLM_API_KEY")) {
      var ref = envVar(pod, name).getValueFrom().getSecretKeyRef();
      assertEquals("herologic-llm", ref.getName());
      assertTrue(ref.getOptional(), name + " is optional");
    }
  }

  @Test
  void resourcesComeFromThePlayElseTheWorkflowElseTheOperatorWhole() {
    Play play = play();
    Workflow workflow = workflow();
    ResourceRequirements operatorDefault = PlayPodFactory.build(inputs(play, workflow)).getSpec().getContainers().get(0).getResources();
    assertEquals(new Quantity("250m"), operatorDefault.getRequests().get("cpu"));
    assertEquals(new Quantity("1Gi"), operatorDefault.getLimits().get("memory"));

    workflow.getSpec().setResources(new ResourceRequirementsBuilder().addToRequests("memory", new Quantity("2Gi")).build());
    ResourceRequirements fromWorkflow = PlayPodFactory.build(inputs(play, workflow)).getSpec().getContainers().get(0).getResources();
    assertEquals(workflow.getSpec().getResources(), fromWorkflow);
    assertTrue(fromWorkflow.getLimits() == null || fromWorkflow.getLimits().isEmpty(), "taken whole: no operator limit mixed in");

    play.getSpec().setResources(new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity("2")).build());
    assertEquals(play.getSpec().getResources(), PlayPodFactory.build(inputs(play, workflow)).getSpec().getContainers().get(0).getResources());
  }

  @Test
  void aShardedPlayTellsItsFlowItsShardSoChildPlaysInheritIt() {
    Play play = play();
    assertNull(env(PlayPodFactory.build(inputs(play, workflow())), "HEROLOGIC_PLAY_SHARD"));
    play.getMetadata().setLabels(java.util.Map.of(Labels.SHARD, "team-a"));
    assertEquals("team-a", env(PlayPodFactory.build(inputs(play, workflow())), "HEROLOGIC_PLAY_SHARD"));
  }
}
