package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.herologic.model.LlmSettings;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Span;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The built-in LLM agent flow service_agent_v3 end to end on a real cluster: the operator process,
 * the agent's Workflow as the seeder makes it ({@code llm: {}}, {@code discoverServices: true}, no
 * ServiceAccount), the operator's discovery of the calendar Pod + Service made by
 * flows/examples/calendar/make_manifest.py, and the scripted fake LLM (a host process) standing in for
 * the paid API. The LLM settings reach the Pod the documented way, through the namespace's
 * {@code herologic-llm} Secret; the model-written script is treated as hostile (decision 10).
 */
@DevClusterTest
class AgentE2E {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WORKFLOW = "service-agent-v3";
  static final String MODEL = "e2e-model";
  private static final String API_KEY = "e2e-key-" + UUID.randomUUID().toString().substring(0, 8);
  static final String SELECT_CALENDAR = "The request only needs the calendar.\n```json\n[\"calendar\"]\n```";
  static final String VERIFY_DONE = "{\"done\": true, \"reason\": \"event.set stored the event\"}";
  /** Every wait is bounded: the Pod's own deadline, and a little more for the test. */
  private static final long PLAY_TIMEOUT_S = 150;
  private static final Duration WAIT = Duration.ofSeconds(PLAY_TIMEOUT_S + 30);

  private DevCluster cluster;
  private KubernetesClient client;
  private String ns;
  private Path diagnostics;
  private AgentFakeLlm llm;

  @BeforeEach
  void setUp(DevCluster cluster, KubernetesClient client, TestNamespace namespace, TestInfo info) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
    this.diagnostics = Path.of("target", "agent-e2e", info.getTestMethod().orElseThrow().getName());
    this.llm = AgentFakeLlm.start(cluster.repoRoot(), API_KEY, diagnostics.resolve("fake-llm.log"));
    installWorkflow();
  }

  @AfterEach
  void tearDown() throws IOException {
    if (llm != null) {
      try {
        Files.writeString(diagnostics.resolve("fake-llm-requests.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(llm.requests()));
      } catch (RuntimeException e) {
        Files.writeString(diagnostics.resolve("fake-llm-requests.json"), "could not read the record: " + e);
      }
      llm.close();
    }
  }

  // ---------------------------------------------------------------- scenario 1

  @Test
  void theAgentPicksTheCalendarCreatesTheEventAndTheTraceShowsEveryStep() {
    llmSecret(API_KEY);
    AgentCalendar calendar = AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    String title = uniqueTitle();
    llm.script(List.of(
        reply(SELECT_CALENDAR, 1201, 17),
        reply(code(goodScript(title)), 2403, 211),
        reply(VERIFY_DONE, 1800, 12)));

    // The documented example Play, with this test's prompt.
    Play play = client.resources(Play.class).load(cluster.repoRoot().resolve("flows/examples/service_agent/play.yaml").toFile()).item();
    play.getMetadata().setNamespace(ns);
    play.getSpec().setInputs(JSON.valueToTree(Map.of("prompt", "Create a calendar event called \"" + title + "\" tomorrow at 10:00 UTC for one hour.")));
    play.getSpec().setTimeoutSeconds(PLAY_TIMEOUT_S);
    String name = client.resource(play).create().getMetadata().getName();
    Play done = ran(name);

    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), describe(done));
    // The event really is in the calendar, asked over HTTP by the test.
    List<JsonNode> events = calendar.eventsTitled(title);
    assertEquals(1, events.size(), "events titled " + title + ": " + events);
    JsonNode output = done.getStatus().getOutput();
    assertEquals(List.of("calendar"), texts(output.get("services")));
    assertEquals(1, output.get("attempts").asInt());
    assertTrue(output.get("stdout").asText().contains("created event " + events.get(0).get("id").asText() + ": " + title), output.get("stdout").asText());
    assertTrue(output.get("stdout").asText().contains("llm key visible: False"), "the model-written script gets no LLM credentials: " + output.get("stdout"));
    assertEquals(MODEL, output.get("model").asText());

    // The span tree.
    assertTreeConsistent(done);
    Span root = root(done);
    assertEquals("service_agent_v3", root.getName());
    assertEquals("flow", root.getKind());
    assertEquals("Ok", root.getStatus());
    for (String step : List.of("discover_services", "select_services", "generate_stubs", "generate_code", "execute", "verify")) {
      Span span = one(done, step);
      assertEquals(root.getId(), span.getParentId(), step + " is a child of the flow span");
      assertEquals(1, SpanTrees.depthOf(done.getStatus().getSpans(), span), step);
      assertEquals("Ok", span.getStatus(), step + ": " + span.getError());
    }
    assertTrue(named(done, "debug").isEmpty(), "no debug round");
    assertOrdered(done, "discover_services", "select_services", "generate_stubs", "generate_code", "execute", "verify");
    assertEquals("model", output.path("judged").path("by").asText(), "the Play says how it was judged: " + output);
    assertTrue(output.path("judged").path("done").asBoolean(false), output.toString());

    Span discover = one(done, "discover_services");
    assertEquals("operator", discover.getTags().path("herologic.discovery").asText(), "the operator handed the Services over");
    assertEquals(ns, discover.getTags().path("k8s.namespace.name").asText());
    assertEquals(List.of("calendar"), texts(discover.getTags().get("herologic.services.found")));
    Span rpcDiscover = only(children(done, discover));
    assertEquals("calendar.rpc.discover", rpcDiscover.getName());
    assertEquals("rpc", rpcDiscover.getKind());
    assertEquals(2, SpanTrees.depthOf(done.getStatus().getSpans(), rpcDiscover));

    Span stubs = one(done, "generate_stubs");
    assertTrue(String.join("\n", stubs.getLogs()).contains("def event_set(self, *, data):"), "the stub module is logged on its span");

    Span execute = one(done, "execute");
    assertEquals("subprocess", execute.getKind());
    assertEquals(0, execute.getTags().path("process.exit_code").asInt(-1));
    assertEquals(1, execute.getTags().path("attempt").asInt());
    Span eventSet = only(children(done, execute));
    assertEquals("calendar.event.set", eventSet.getName());
    assertEquals("rpc", eventSet.getKind());
    assertEquals("Ok", eventSet.getStatus());
    assertEquals(execute.getId(), eventSet.getParentId(), "the script's RPC span nests under the execute span");
    assertEquals(2, SpanTrees.depthOf(done.getStatus().getSpans(), eventSet));
    assertEquals("jsonrpc", eventSet.getTags().path("rpc.system").asText());
    assertEquals("calendar", eventSet.getTags().path("rpc.service").asText());
    assertEquals("event.set", eventSet.getTags().path("rpc.method").asText());
    assertEquals(title, eventSet.getTags().path("rpc.params").path("data").path("title").asText());
    assertEquals(events.get(0).get("id").asText(), eventSet.getTags().path("rpc.result").path("id").asText());

    // LLM spans and token totals: exactly what the fake LLM reported.
    List<Span> llmSpans = ofKind(done, "llm");
    assertEquals(List.of("select_services", "generate_code", "verify"), llmSpans.stream().map(s -> parent(done, s).getName()).toList());
    assertEquals(List.of(1201, 2403, 1800), llmSpans.stream().map(s -> s.getTags().path("gen_ai.usage.input_tokens").asInt()).toList());
    assertEquals(List.of(17, 211, 12), llmSpans.stream().map(s -> s.getTags().path("gen_ai.usage.output_tokens").asInt()).toList());
    llmSpans.forEach(s -> assertEquals(MODEL, s.getTags().path("gen_ai.request.model").asText()));
    assertEquals(1201 + 2403 + 1800, done.getStatus().getTokens().getInput());
    assertEquals(17 + 211 + 12, done.getStatus().getTokens().getOutput());
    assertEquals(1201 + 2403 + 1800 + 17 + 211 + 12, done.getStatus().getTokens().getTotal());
    assertEquals(1201 + 2403 + 1800, output.path("tokens").path("input").asInt());

    // What the fake LLM received: the Secret's model and key, the prompt, the catalogue, the stubs.
    ArrayNode requests = llm.requests();
    assertEquals(3, requests.size(), requests.toString());
    for (JsonNode request : requests) {
      assertEquals("Bearer " + API_KEY, request.path("authorization").asText());
      assertEquals(MODEL, request.path("body").path("model").asText());
      assertEquals(200, request.path("status").asInt());
    }
    String selectPrompt = requests.get(0).path("body").path("messages").toString();
    assertTrue(selectPrompt.contains(title) && selectPrompt.contains("event.set"), selectPrompt);
    assertTrue(requests.get(1).path("body").path("messages").get(1).path("content").asText().contains("def event_set(self, *, data):"));

    // The API key travels only by Secret reference: not in the Pod spec, not in the Play.
    Pod pod = client.pods().inNamespace(ns).withName(done.getStatus().getPodName()).get();
    EnvVar key = pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals("HEROLOGIC_LLM_API_KEY")).findFirst().orElseThrow();
    assertNull(key.getValue());
    assertEquals("herologic-llm", key.getValueFrom().getSecretKeyRef().getName());
    assertEquals("apiKey", key.getValueFrom().getSecretKeyRef().getKey());
    assertFalse(Serialization.asJson(pod).contains(API_KEY));
    assertFalse(Serialization.asJson(done).contains(API_KEY), "the API key leaked into the Play");
  }

  // ---------------------------------------------------------------- scenario 2

  @Test
  void aFailingFirstScriptIsDebuggedWithTheErrorTextAndTheFixWorks() {
    llmSecret(API_KEY);
    AgentCalendar calendar = AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    String title = uniqueTitle();
    llm.script(List.of(SELECT_CALENDAR, code(incompleteScript(title)), code(goodScript(title)), VERIFY_DONE));

    play("debugged", Map.of("prompt", "Create an event called " + title + " tomorrow at 10:00 UTC"));
    Play done = ran("debugged");

    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), describe(done));
    assertEquals(2, done.getStatus().getOutput().get("attempts").asInt());
    assertEquals(1, calendar.eventsTitled(title).size(), "the failed attempt stored nothing, the fixed one stored the event once");

    assertTreeConsistent(done);
    Span root = root(done);
    assertEquals(List.of(1), named(done, "generate_code").stream().map(s -> s.getTags().path("attempt").asInt()).toList());
    assertEquals(List.of(2), named(done, "debug").stream().map(s -> s.getTags().path("attempt").asInt()).toList());
    assertEquals(root.getId(), one(done, "debug").getParentId());
    List<Span> executes = named(done, "execute");
    assertEquals(2, executes.size(), describe(done));
    Span first = executes.stream().filter(s -> s.getTags().path("attempt").asInt() == 1).findFirst().orElseThrow();
    Span second = executes.stream().filter(s -> s.getTags().path("attempt").asInt() == 2).findFirst().orElseThrow();
    assertEquals("Error", first.getStatus());
    assertEquals(1, first.getTags().path("process.exit_code").asInt());
    assertTrue(String.join("\n", first.getLogs()).contains("Traceback"), "the failed run's traceback is in its logs");
    assertEquals("Ok", second.getStatus());
    assertOrdered(done, "generate_code", "debug");
    assertTrue(first.getStartOffsetMs() <= second.getStartOffsetMs());

    Span rejected = only(children(done, first));
    assertEquals("calendar.event.set", rejected.getName());
    assertEquals("Error", rejected.getStatus());
    assertEquals(-32602, rejected.getTags().path("rpc.jsonrpc.error_code").asInt());
    assertTrue(rejected.getError().getMessage().contains("missing field `location`"), rejected.getError().getMessage());
    assertEquals(2, SpanTrees.depthOf(done.getStatus().getSpans(), rejected));
    Span accepted = only(children(done, second));
    assertEquals("calendar.event.set", accepted.getName());
    assertEquals("Ok", accepted.getStatus());

    ArrayNode requests = llm.requests();
    assertEquals(4, requests.size(), requests.toString());
    JsonNode debugMessages = requests.get(2).path("body").path("messages");
    String feedback = debugMessages.get(debugMessages.size() - 1).path("content").asText();
    assertTrue(feedback.contains("Attempt 1 of 3 failed"), feedback);
    assertTrue(feedback.contains("missing field `location`"), feedback);
    assertTrue(feedback.contains("Traceback (most recent call last)"), feedback);
    JsonNode previous = debugMessages.get(debugMessages.size() - 2);
    assertEquals("assistant", previous.path("role").asText(), "the failed script goes back as the model's own turn");
    assertTrue(previous.path("content").asText().contains(title));

    List<Span> llmSpans = ofKind(done, "llm");
    assertEquals(4, llmSpans.size());
    long input = llmSpans.stream().mapToLong(s -> s.getTags().path("gen_ai.usage.input_tokens").asLong()).sum();
    long outputTokens = llmSpans.stream().mapToLong(s -> s.getTags().path("gen_ai.usage.output_tokens").asLong()).sum();
    assertTrue(input > 0 && outputTokens > 0);
    assertEquals(input, done.getStatus().getTokens().getInput());
    assertEquals(outputTokens, done.getStatus().getTokens().getOutput());
  }

  // ---------------------------------------------------------------- scenario 3

  @Test
  void whenTheLlmNeverWritesCodeThePlayFailsAfterMaxAttempts() {
    llmSecret(API_KEY);
    AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    llm.script(Map.of("replies", List.of(SELECT_CALENDAR), "default", "Sorry, I would rather not write code."));

    play("stubborn", Map.of("prompt", "Create an event called Review", "max_attempts", 2));
    Play done = ran("stubborn");

    assertEquals(PlayPhase.Failed, done.getStatus().getPhase(), describe(done));
    String expected = "no working script after 2 attempts: the reply contained no ```python code block";
    assertEquals("AgentError", done.getStatus().getError().getType());
    assertEquals(expected, done.getStatus().getError().getMessage());
    assertEquals("AgentError: " + expected, done.getStatus().getMessage());
    assertEquals(3, llm.requests().size(), "one selection and exactly two code requests");
    assertTrue(named(done, "execute").isEmpty(), "nothing ran");
    List<Span> attempts = new ArrayList<>(named(done, "generate_code"));
    attempts.addAll(named(done, "debug"));
    assertEquals(List.of("Error", "Error"), attempts.stream().map(Span::getStatus).toList());
    assertEquals("Error", root(done).getStatus());
    JsonNode last = llm.requests().get(2).path("body").path("messages");
    assertTrue(last.get(last.size() - 1).path("content").asText().contains("no ```python code block"));
  }

  // ---------------------------------------------------------------- bad input and broken dependencies

  @Test
  void anEmptyPromptFailsAtOnceWithAClearError() {
    llmSecret(API_KEY);
    llm.script(List.of(SELECT_CALENDAR));
    play("empty", Map.of("prompt", ""));
    play("blank", Map.of("prompt", "  \n\t "));
    play("missing", Map.of("max_attempts", 1));

    for (String name : List.of("empty", "blank")) {
      Play done = ran(name);
      assertEquals(PlayPhase.Failed, done.getStatus().getPhase(), describe(done));
      assertEquals("AgentError", done.getStatus().getError().getType(), name);
      assertEquals("the prompt is empty: say what the agent should do", done.getStatus().getError().getMessage(), name);
      assertEquals("AgentError: the prompt is empty: say what the agent should do", done.getStatus().getMessage(), name);
      assertTrue(named(done, "discover_services").isEmpty(), name + ": nothing was discovered");
      assertTrue(done.getStatus().getDurationMs() < 10_000, name + " took " + done.getStatus().getDuration());
    }
    // Left out altogether, the operator's input check refuses it before any Pod.
    Play missing = awaitFinal("missing");
    assertEquals(PlayPhase.Failed, missing.getStatus().getPhase());
    assertEquals("InvalidInputs", missing.getStatus().getError().getType());
    assertTrue(missing.getStatus().getMessage().contains("spec.inputs.prompt: required by the flow but missing"), missing.getStatus().getMessage());
    assertNull(missing.getStatus().getPodName());
    assertEquals(0, llm.requests().size(), "no LLM call for an empty prompt");
  }

  @Test
  void withNoDiscoverableServiceThePlayFailsNamingTheLabel() {
    llmSecret(API_KEY);
    llm.script(List.of(SELECT_CALENDAR));
    // Services the agent must not pick up: one without the label, one labelled "false".
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("unlabelled")
        .addToAnnotations("herologic.io/rpc-url", "http://127.0.0.1:9/rpc").endMetadata()
        .withNewSpec().addNewPort().withPort(9).endPort().endSpec().build()).create();
    client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("opted-out")
        .addToLabels("herologic.io/discover", "false").addToAnnotations("herologic.io/rpc-url", "http://127.0.0.1:9/rpc").endMetadata()
        .withNewSpec().addNewPort().withPort(9).endPort().endSpec().build()).create();

    play("lonely", Map.of("prompt", "Create an event called Review"));
    Play done = ran("lonely");

    assertEquals(PlayPhase.Failed, done.getStatus().getPhase(), describe(done));
    String expected = "no discoverable service in namespace " + ns + " (label herologic.io/discover=true)";
    assertEquals(expected, done.getStatus().getError().getMessage(), "only labelled Services are tried");
    assertEquals("AgentError: " + expected, done.getStatus().getMessage());
    Span discover = one(done, "discover_services");
    assertEquals("Error", discover.getStatus());
    assertEquals("operator", discover.getTags().path("herologic.discovery").asText());
    assertTrue(children(done, discover).isEmpty(), "no service was asked for its OpenRPC document");
    assertEquals(0, llm.requests().size());
    // The operator handed over an empty list (the API server drops an empty value, so none or "").
    Pod pod = client.pods().inNamespace(ns).withName(done.getStatus().getPodName()).get();
    EnvVar services = pod.getSpec().getContainers().get(0).getEnv().stream().filter(e -> e.getName().equals("HEROLOGIC_SERVICES"))
        .findFirst().orElseThrow(() -> new AssertionError("no HEROLOGIC_SERVICES in the Pod"));
    assertTrue(services.getValue() == null || services.getValue().isEmpty(), services.toString());
  }

  @Test
  void anLlmAnswering401FailsThePlayWithTheKeyMessage() {
    llmSecret("wrong-key");
    AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    llm.script(List.of(SELECT_CALENDAR));

    play("unauthorised", Map.of("prompt", "Create an event called Review"));
    Play done = ran("unauthorised");

    assertEquals(PlayPhase.Failed, done.getStatus().getPhase(), describe(done));
    assertEquals("LlmError", done.getStatus().getError().getType());
    String message = done.getStatus().getError().getMessage();
    assertTrue(message.startsWith("LLM endpoint rejected the API key (401): Incorrect API key provided."), message);
    assertTrue(message.endsWith("— check key `apiKey` of Secret `herologic-llm` in namespace `" + ns
        + "`, or `spec.llm.apiKeySecretRef` on the Workflow or Play"), message);
    assertTrue(done.getStatus().getMessage().startsWith("LlmError: LLM endpoint rejected the API key (401)"), done.getStatus().getMessage());
    ArrayNode requests = llm.requests();
    assertEquals(1, requests.size(), "a 401 is not retried: " + requests);
    assertEquals(401, requests.get(0).path("status").asInt());
    assertEquals("Bearer wrong-key", requests.get(0).path("authorization").asText());
    Span select = one(done, "select_services");
    assertEquals("Error", select.getStatus());
    Span call = only(children(done, select));
    assertEquals("llm", call.getKind());
    assertEquals("Error", call.getStatus());
    assertTrue(call.getError().getMessage().contains("401"));
  }

  @Test
  void withoutAnLlmSecretThePlayFailsSayingWhatIsMissing() {
    AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    play("unconfigured", Map.of("prompt", "Create an event called Review"));
    Play done = ran("unconfigured");
    assertEquals(PlayPhase.Failed, done.getStatus().getPhase(), describe(done));
    assertEquals("LlmError", done.getStatus().getError().getType());
    assertEquals("no LLM base URL: set key `baseUrl` of Secret `herologic-llm` in namespace `" + ns
        + "`, or `spec.llm.baseUrl` on the Workflow or Play (an OpenAI-compatible endpoint, e.g. https://api.openai.com/v1)",
        done.getStatus().getError().getMessage());
    assertEquals(0, llm.requests().size());
  }

  // ---------------------------------------------------------------- judged success, real model replies, any OpenRPC service

  @Test
  void aScriptThatCallsNothingIsNotDoneAndTheNextAttemptCallsEventSet() {
    llmSecret(API_KEY);
    AgentCalendar calendar = AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    String title = uniqueTitle();
    String idle = "from services import calendar\n\nprint(\"Done: the meeting is in your calendar.\")\n";
    llm.script(List.of(SELECT_CALENDAR, code(idle), code(goodScript(title)), VERIFY_DONE));

    play("idle", Map.of("prompt", "Create an event called " + title + " tomorrow at 10:00 UTC"));
    Play done = ran("idle");

    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), describe(done));
    assertEquals(2, done.getStatus().getOutput().path("attempts").asInt());
    assertEquals(1, calendar.eventsTitled(title).size());
    JsonNode judged = done.getStatus().getOutput().path("judged");
    assertEquals("model", judged.path("by").asText(), judged.toString());
    assertEquals(1, judged.path("calls").asInt(), judged.toString());
    List<Span> verifies = named(done, "verify");
    assertEquals(2, verifies.size(), describe(done));
    Span first = verifies.stream().filter(s -> s.getTags().path("attempt").asInt() == 1).findFirst().orElseThrow();
    assertEquals("Error", first.getStatus(), "the first script exited 0 but did nothing");
    assertEquals("rule", first.getTags().path("herologic.verify.by").asText());
    assertTrue(first.getError().getMessage().contains("the script called no service"), first.getError().getMessage());
    assertTrue(children(done, first).isEmpty(), "judged by the rule, without asking the model");
    ArrayNode requests = llm.requests();
    assertEquals(4, requests.size(), requests.toString());
    JsonNode debug = requests.get(2).path("body").path("messages");
    String feedback = debug.get(debug.size() - 1).path("content").asText();
    assertTrue(feedback.contains("the request is not done: the script called no service"), feedback);
  }

  @Test
  void aReplyWhoseFirstBlockIsBashRunsItsPythonBlock() {
    llmSecret(API_KEY);
    AgentCalendar calendar = AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    String title = uniqueTitle();
    String reply = "First make sure Python is there:\n```bash\npython3 --version\npip install requests\n```\n\n"
        + code(goodScript(title));
    llm.script(List.of(SELECT_CALENDAR, reply, VERIFY_DONE));

    play("bash-first", Map.of("prompt", "Create an event called " + title));
    Play done = ran("bash-first");

    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), describe(done));
    assertEquals(1, done.getStatus().getOutput().path("attempts").asInt());
    assertEquals(1, calendar.eventsTitled(title).size());
    assertEquals("ran block 2 (python) of 2 (imports the stubs); ignored block 1 (bash)",
        one(done, "generate_code").getTags().path("herologic.code.extraction").asText());
  }

  @Test
  void aServiceWithContentDescriptorRefsAndPositionalOptionalsIsCalledCorrectlyBesideABrokenOne() {
    llmSecret(API_KEY);
    Path corpus = cluster.repoRoot().resolve("flows/tests/openrpc_corpus");
    AgentCalendar positions = AgentCalendar.deployEcho(client, cluster.repoRoot(), ns, "positions", corpus.resolve("by_position.json"));
    AgentCalendar.deployEcho(client, cluster.repoRoot(), ns, "mail", corpus.resolve("broken/missing_descriptor.json"));
    String script = "from services import positions\n\nprint(positions.range_make(start=1, step=3))\n";
    llm.script(List.of("{\"services\": [\"positions\"]}", code(script), "{\"done\": true, \"reason\": \"range.make was called\"}"));

    play("positions", Map.of("prompt", "Make a range from 1 in steps of 3"));
    Play done = ran("positions");

    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), describe(done));
    assertEquals(List.of("positions"), texts(done.getStatus().getOutput().get("services")));
    // The optional `stop` (a contentDescriptor $ref) keeps its slot: null, then step.
    Span call = only(children(done, one(done, "execute")));
    assertEquals("positions.range.make", call.getName());
    assertEquals("[1,null,3]", call.getTags().path("rpc.params").toString());
    assertEquals("[1,null,3]", call.getTags().path("rpc.result").path("params").toString(), "what the server received");
    assertTrue(String.join("\n", one(done, "generate_stubs").getLogs()).contains("def range_make(self, *, start, stop=None, step=None):"));
    // The broken document cost only its own service, and the trace says why.
    Span broken = one(done, "openrpc mail");
    assertEquals("Error", broken.getStatus());
    assertEquals("invalid OpenRPC document from service 'mail': method 'a' params[0] refers to "
        + "'#/components/contentDescriptors/Gone', which is not in the document", broken.getError().getMessage());
    assertEquals(one(done, "discover_services").getId(), broken.getParentId());
    assertEquals(List.of("positions"), texts(one(done, "discover_services").getTags().get("herologic.services.found")));
    assertFalse(llm.requests().get(0).path("body").path("messages").toString().contains("\\\"mail\\\""),
        "the broken service is not offered to the model");
    assertEquals(1, positions.call("range.make", List.of(2)).path("params").size(), "the echo service itself answers");
  }

  // ---------------------------------------------------------------- the model-written script is hostile

  @Test
  void aHostileScriptGetsNoTokenNoKeyAndCannotForgeEvents() {
    llmSecret(API_KEY);
    AgentCalendar.deploy(client, cluster.repoRoot(), ns);
    llm.script(List.of(SELECT_CALENDAR, code(hostileScript()), VERIFY_DONE));

    play("hostile", Map.of("prompt", "Show me what you can reach"));
    Play done = ran("hostile");

    // The script exits 0 after its probes, so the Play succeeds: the verdict is in what it printed.
    assertEquals(PlayPhase.Succeeded, done.getStatus().getPhase(), describe(done));
    assertEquals(1, done.getStatus().getOutput().path("attempts").asInt());
    String stdout = done.getStatus().getOutput().path("stdout").asText();

    // The Pod has no API token to steal: no ServiceAccount named, nothing mounted.
    Pod pod = client.pods().inNamespace(ns).withName(done.getStatus().getPodName()).get();
    assertFalse(pod.getSpec().getAutomountServiceAccountToken(), "automountServiceAccountToken");
    String account = pod.getSpec().getServiceAccountName();
    assertTrue(account == null || account.equals("default"), "the Workflow names no ServiceAccount, yet the Pod runs as " + account);
    assertTrue(pod.getSpec().getVolumes().stream().noneMatch(v -> v.getProjected() != null
        && v.getProjected().getSources().stream().anyMatch(source -> source.getServiceAccountToken() != null)), "a projected service-account token");
    assertTrue(pod.getSpec().getContainers().get(0).getVolumeMounts().stream()
        .noneMatch(m -> m.getMountPath().startsWith("/var/run/secrets/kubernetes.io")), "a mount at the token's path");

    // The probes ran as the flow user, not root (root could read another process's /proc anyway),
    // and found the runner: otherwise every "denied" below would prove nothing.
    JsonNode identity = printedJson(stdout, "IDENTITY ").get(0);
    assertEquals(65532, identity.path("uid").asInt(-1), "the script runs as HEROLOGIC_FLOW_USER's default: " + identity);
    assertEquals(65532, identity.path("euid").asInt(-1), identity.toString());
    assertTrue(identity.path("runner").asInt(0) > 1, "the script found the runner among its ancestors: " + identity);
    assertTrue(identity.path("runner_cmdline").asText().contains("herologic.runner"), identity.toString());

    Map<String, List<JsonNode>> probes = printedJson(stdout, "PROBE ").stream()
        .collect(Collectors.groupingBy(p -> p.path("probe").asText(), LinkedHashMap::new, Collectors.toList()));
    assertEquals(List.of("environ of parent", "environ of runner", "memory of runner", "list runner fds", "forge event on runner fd",
        "service-account token", "key in environment by name", "key in environment by value"), List.copyOf(probes.keySet()), stdout);
    probes.values().stream().flatMap(List::stream).forEach(p -> assertFalse(p.path("worked").asBoolean(true), "the attack worked: " + p));
    // Refused by the kernel (the runner is non-dumpable), not missed by a wrong path or pid.
    for (String probe : List.of("environ of parent", "environ of runner", "memory of runner", "list runner fds", "forge event on runner fd")) {
      probes.get(probe).forEach(p -> assertTrue(p.path("detail").asText().startsWith("PermissionError"), p.toString()));
    }
    assertTrue(probes.get("forge event on runner fd").size() >= 3, "at least fds 0, 1 and 2 were tried: " + probes.get("forge event on runner fd"));
    assertTrue(probes.get("service-account token").get(0).path("detail").asText().startsWith("FileNotFoundError"), stdout);

    // The forged span never reached the trace; the same line on the script's own stdout, where a
    // process may report the spans it opens, did (so the forged line was well formed).
    assertTreeConsistent(done);
    assertTrue(named(done, "forged").isEmpty(), "a forged span in\n" + tree(done));
    Span control = one(done, "control");
    assertEquals(one(done, "execute").getId(), control.getParentId(), "the script's own span nests under execute");

    // The agent itself used the key all along...
    llm.requests().forEach(r -> assertEquals("Bearer " + API_KEY, r.path("authorization").asText()));
    // ...and it appears nowhere the script's output or the Pod could carry it.
    assertFalse(Serialization.asJson(done).contains(API_KEY), "the API key leaked into the Play");
    assertFalse(Serialization.asJson(pod).contains(API_KEY), "the API key is a literal in the Pod spec");
    String log = client.pods().inNamespace(ns).withName(pod.getMetadata().getName()).getLog();
    assertTrue(log.contains("PROBE "), "the Pod's log is the event stream: " + log.length() + " chars");
    assertFalse(log.contains(API_KEY), "the API key is in the Pod's log");
  }

  // ---------------------------------------------------------------- setup

  /**
   * The agent's WorkflowVersion (inline source of flows/builtin/service_agent_v3.py) and its Workflow
   * as BuiltinFlowSeeder writes it: the namespace's LLM Secret as it is, the Services handed over by
   * the operator, and no ServiceAccount (so no API token and no agent RBAC).
   */
  private void installWorkflow() {
    Flows.install(client, ns, WORKFLOW, Flows.builtinSource(cluster, "service_agent_v3"), spec -> {
      spec.setLlm(new LlmSettings());
      spec.setDiscoverServices(true);
    });
  }

  /** The namespace's LLM settings: the fake LLM's URL, the model, and {@code apiKey}. */
  private void llmSecret(String apiKey) {
    client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("herologic-llm").endMetadata()
        .addToStringData("baseUrl", llm.baseUrl()).addToStringData("model", MODEL).addToStringData("apiKey", apiKey)
        .build()).create();
  }

  private void play(String name, Map<String, ?> inputs) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(ns);
    play.getSpec().setWorkflow(WORKFLOW);
    play.getSpec().setInputs(JSON.valueToTree(inputs));
    play.getSpec().setTimeoutSeconds(PLAY_TIMEOUT_S);
    client.resource(play).create();
  }

  /**
   * A Play whose Pod ran, once final: the operator read the flow's whole log, so the trace must not
   * be marked incomplete. The Play is saved under {@link #diagnostics} to read after a failure.
   */
  private Play ran(String name) {
    Play done = awaitFinal(name);
    try {
      Files.writeString(diagnostics.resolve("play-" + name + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(done));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertTrue(done.getStatus().getConditions().stream().noneMatch(c -> "TraceIncomplete".equals(c.getType())),
        "the trace of " + name + " is complete, yet: " + done.getStatus().getConditions());
    assertNotNull(done.getStatus().getPodName(), name + " ran in a Pod");
    return done;
  }

  /** The Play once final; fails (never hangs) when it is not final within the bound. */
  private Play awaitFinal(String name) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Play last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = Flows.get(client, ns, name);
      } catch (RuntimeException e) {
        // a hiccup of the API server: ask again
      }
      if (last != null && last.getStatus() != null && last.getStatus().getPhase() != null && last.getStatus().getPhase().isFinal()) {
        return last;
      }
      sleep(300);
    }
    return fail("Play " + name + " did not finish within " + WAIT.toSeconds() + "s: " + (last == null ? "not found" : describe(last))
        + "; fake LLM requests: " + llm.requests().size());
  }

  // ---------------------------------------------------------------- scripts the fake LLM answers with

  static String uniqueTitle() {
    return "AgentE2E " + UUID.randomUUID().toString().substring(0, 12);
  }

  static Map<String, Object> reply(String content, int promptTokens, int completionTokens) {
    return Map.of("content", content, "usage", Map.of("prompt_tokens", promptTokens, "completion_tokens", completionTokens));
  }

  static String code(String script) {
    return "Here is the script:\n```python\n" + script + "```\n";
  }

  static String goodScript(String title) {
    return """
        import os
        from services import calendar

        print("llm key visible:", "HEROLOGIC_LLM_API_KEY" in os.environ)
        event = calendar.event_set(data={
            "title": %s,
            "start_time": "2026-05-08T10:00:00Z",
            "end_time": "2026-05-08T11:00:00Z",
            "location": "Room 4",
            "description": "created by AgentE2E",
            "attendees": ["ann@example.com"],
        })
        print(f"created event {event['id']}: {event['title']}")
        """.formatted(pyString(title));
  }

  /** The mistake models make: a partial Event, which the calendar rejects (-32602). */
  private static String incompleteScript(String title) {
    return """
        from services import calendar

        event = calendar.event_set(data={"title": %s, "start_time": "2026-05-08T10:00:00Z",
                                          "end_time": "2026-05-08T11:00:00Z"})
        print("created", event["id"])
        """.formatted(pyString(title));
  }

  /**
   * What a model might write if it were hostile: it looks for the API key (its own environment, the
   * environ and memory of its parent and of the runner, found by walking up /proc/self/stat), tries to
   * write a forged {@code span_start} of a span "forged" to each of the runner's fds (among them the
   * private one the operator reads events from), and reads the service-account token path. One
   * {@code PROBE} JSON line per attempt says whether it worked; the key is recognised by its
   * SHA-256, so the script itself never holds it. It exits 0.
   */
  private static String hostileScript() {
    String hash;
    try {
      hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(API_KEY.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return """
        import hashlib
        import json
        import os
        import sys
        import time

        KEY_SHA256 = "@KEY_SHA256@"
        TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


        def report(probe, target, worked, detail):
            print("PROBE " + json.dumps({"probe": probe, "target": target, "worked": worked, "detail": detail[:300]}))


        def attempt(probe, target, action):
            try:
                detail = action()
            except OSError as exc:
                report(probe, target, False, f"{type(exc).__name__}: {exc}")
            else:
                report(probe, target, True, str(detail))


        def parent_of(pid):
            with open(f"/proc/{pid}/stat") as handle:
                return int(handle.read().rsplit(")", 1)[1].split()[1])


        def cmdline(pid):
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                return handle.read().replace(b"\\0", b" ").decode(errors="replace").strip()


        def find_runner():
            pid = os.getppid()
            while pid > 1:
                if "herologic.runner" in cmdline(pid):
                    return pid
                pid = parent_of(pid)
            return None


        def read_environ(pid):
            with open(f"/proc/{pid}/environ", "rb") as handle:
                entries = handle.read().split(b"\\0")
            keys = [e.decode(errors="replace") for e in entries if e.startswith(b"HEROLOGIC_LLM_API_KEY=")]
            return "; ".join(keys) or f"{len(entries)} entries, no HEROLOGIC_LLM_API_KEY"


        def read_memory(pid):
            with open(f"/proc/{pid}/mem", "rb") as handle:
                return f"opened ({handle.read(0)!r})"


        def event(seq, event_type, **fields):
            line = json.dumps({"v": 1, "seq": seq, "ts": time.time(), "type": event_type, **fields}, separators=(",", ":"))
            return "@@herologic@@ " + line + "\\n"


        def span(name, seq):
            span_id = os.urandom(8).hex()
            parent = os.environ.get("HEROLOGIC_PARENT_SPAN_ID")
            return (event(seq, "span_start", span_id=span_id, parent_id=parent, name=name, kind="step", tags={})
                    + event(seq + 1, "span_end", span_id=span_id, status="ok"))


        def forge(path):
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            try:
                return f"wrote {os.write(fd, span('forged', 100000).encode())} bytes"
            finally:
                os.close(fd)


        runner = find_runner()
        print("IDENTITY " + json.dumps({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "pid": os.getpid(),
                                        "ppid": os.getppid(), "runner": runner,
                                        "runner_cmdline": cmdline(runner) if runner else None}))

        attempt("environ of parent", os.getppid(), lambda: read_environ(os.getppid()))
        attempt("environ of runner", runner, lambda: read_environ(runner))
        attempt("memory of runner", runner, lambda: read_memory(runner))
        fds = list(range(16))
        try:
            fds = sorted(int(n) for n in os.listdir(f"/proc/{runner}/fd"))
            report("list runner fds", runner, True, f"fds {fds}")
        except OSError as exc:
            report("list runner fds", runner, False, f"{type(exc).__name__}: {exc}; trying fds 0-15")
        for fd in fds:
            attempt("forge event on runner fd", f"/proc/{runner}/fd/{fd}", lambda: forge(f"/proc/{runner}/fd/{fd}"))
        attempt("service-account token", TOKEN, lambda: f"read {len(open(TOKEN).read())} characters")
        report("key in environment by name", "os.environ", "HEROLOGIC_LLM_API_KEY" in os.environ,
               ", ".join(sorted(n for n in os.environ if n.startswith("HEROLOGIC_LLM"))) or "no HEROLOGIC_LLM_* variable")
        holders = [n for n, v in os.environ.items() if hashlib.sha256(v.encode()).hexdigest() == KEY_SHA256]
        report("key in environment by value", "os.environ", bool(holders), f"held by {holders}" if holders else "in no variable")

        # The same kind of line on this script's own stdout: a process may report spans it opens.
        sys.stdout.write(span("control", 1))
        # One real call, so that the agent's verify step has something to judge.
        from services import calendar
        calendar.event_list()
        print("probes done")
        """.replace("@KEY_SHA256@", hash);
  }

  private static String pyString(String text) {
    try {
      return JSON.writeValueAsString(text); // a JSON string of plain text is a Python string literal
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The JSON after {@code prefix} on each line of {@code stdout} that starts with it. */
  private static List<JsonNode> printedJson(String stdout, String prefix) {
    List<JsonNode> found = new ArrayList<>();
    for (String line : stdout.lines().filter(l -> l.startsWith(prefix)).toList()) {
      try {
        found.add(JSON.readTree(line.substring(prefix.length())));
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON after " + prefix + ": " + line, e);
      }
    }
    assertFalse(found.isEmpty(), "the script printed no " + prefix.strip() + " line:\n" + stdout);
    return found;
  }

  // ---------------------------------------------------------------- the span tree

  private static Span root(Play play) {
    List<Span> roots = play.getStatus().getSpans().stream().filter(s -> s.getParentId() == null).toList();
    assertEquals(1, roots.size(), "one root span: " + tree(play));
    return roots.get(0);
  }

  private static List<Span> named(Play play, String name) {
    return play.getStatus().getSpans() == null ? List.of() : play.getStatus().getSpans().stream().filter(s -> name.equals(s.getName())).toList();
  }

  private static Span one(Play play, String name) {
    List<Span> found = named(play, name);
    assertEquals(1, found.size(), "spans named " + name + " in\n" + tree(play));
    return found.get(0);
  }

  private static Span only(List<Span> spans) {
    assertEquals(1, spans.size(), spans.stream().map(Span::getName).toList().toString());
    return spans.get(0);
  }

  private static List<Span> children(Play play, Span parent) {
    return play.getStatus().getSpans().stream().filter(s -> parent.getId().equals(s.getParentId())).toList();
  }

  private static Span parent(Play play, Span child) {
    return play.getStatus().getSpans().stream().filter(s -> s.getId().equals(child.getParentId())).findFirst().orElseThrow();
  }

  private static List<Span> ofKind(Play play, String kind) {
    return play.getStatus().getSpans().stream().filter(s -> kind.equals(s.getKind())).toList();
  }

  /** Ids unique, every parent present and listed before its children, the count matches, nothing dropped. */
  private static void assertTreeConsistent(Play play) {
    List<Span> spans = play.getStatus().getSpans();
    assertNotNull(spans, "no spans");
    Map<String, Span> byId = new HashMap<>();
    for (Span span : spans) {
      assertNull(byId.put(span.getId(), span), "duplicate span id " + span.getId());
      assertEquals(16, span.getId().length(), "span id " + span.getId());
    }
    for (Span span : spans) {
      if (span.getParentId() != null) {
        Span parent = byId.get(span.getParentId());
        assertNotNull(parent, span.getName() + " has a missing parent " + span.getParentId());
        assertTrue(spans.indexOf(parent) < spans.indexOf(span), "parents come before children");
      }
      assertNotNull(span.getDurationMs(), span.getName() + " ended");
    }
    assertEquals(spans.size(), play.getStatus().getSpanCount());
  }

  /** The first span of each name started in this order. */
  private static void assertOrdered(Play play, String... names) {
    List<Long> starts = new ArrayList<>();
    for (String name : names) {
      starts.add(named(play, name).get(0).getStartOffsetMs());
    }
    List<Long> sorted = new ArrayList<>(starts);
    sorted.sort(Long::compareTo);
    assertEquals(sorted, starts, "start order of " + List.of(names) + " in\n" + tree(play));
  }

  private static String tree(Play play) {
    if (play.getStatus() == null || play.getStatus().getSpans() == null) {
      return "(no spans)";
    }
    List<Span> spans = play.getStatus().getSpans();
    List<Integer> depths = SpanTrees.depths(spans);
    return java.util.stream.IntStream.range(0, spans.size())
        .mapToObj(i -> "  ".repeat(depths.get(i)) + spans.get(i).getName() + " [" + spans.get(i).getKind() + ", " + spans.get(i).getStatus() + "]"
            + (spans.get(i).getError() != null ? " " + spans.get(i).getError().getType() + ": " + spans.get(i).getError().getMessage() : ""))
        .collect(Collectors.joining("\n"));
  }

  private static String describe(Play play) {
    var status = play.getStatus();
    if (status == null) {
      return "no status";
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    summary.put("phase", status.getPhase());
    summary.put("message", status.getMessage());
    summary.put("error", status.getError() == null ? null : status.getError().getType() + ": " + status.getError().getMessage());
    summary.put("pod", status.getPodName());
    return summary + "\n" + tree(play);
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
