package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.herologic.model.Play;
import io.herologic.model.Span;
import io.herologic.operator.it.AgentCalendar;
import io.herologic.operator.it.AgentFakeLlm;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * An agent-sized Play, for real: one run of the built-in agent (the seeded Workflow
 * service-agent-v3) against the scripted fake LLM and the demo calendar, as {@code make demo-agent}
 * runs it (flows/examples/fake_llm/calendar-demo.json: select the calendar, a first script the
 * calendar rejects, a debug round that fixes it, the model's verdict). Reports the Play's stored
 * size as {@link PlayBenchmark#statusSize} measures the others, and the trace's shape.
 */
final class AgentTrace {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WORKFLOW = "service-agent-v3";
  private static final String API_KEY = "bench-key";

  private AgentTrace() {}

  static Map<String, Object> measure(BenchCluster c, Path repo) throws Exception {
    c.awaitWorkflowReady(WORKFLOW, 120);
    String name = null;
    try (AgentFakeLlm llm = AgentFakeLlm.start(repo, API_KEY, c.outDir.resolve("fake-llm.log"))) {
      llm.script(JSON.readTree(repo.resolve("flows/examples/fake_llm/calendar-demo.json").toFile()));
      c.admin.secrets().inNamespace(c.namespace).resource(new SecretBuilder().withNewMetadata().withName("herologic-llm").endMetadata()
          .addToStringData("baseUrl", llm.baseUrl()).addToStringData("model", "fake-model").addToStringData("apiKey", API_KEY)
          .build()).create();
      AgentCalendar.deploy(c.admin, repo, c.namespace);
      Play play = c.admin.resources(Play.class).load(repo.resolve("flows/examples/service_agent/play.yaml").toFile()).item();
      play.getMetadata().setNamespace(c.namespace);
      play.getSpec().setTimeoutSeconds(150L);
      name = c.admin.resource(play).create().getMetadata().getName();
      Play done = c.awaitPlayFinal(name, 180);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("what", "a real run of service-agent-v3 (fake LLM script flows/examples/fake_llm/calendar-demo.json, demo calendar Pod)");
      m.put("play", name);
      m.put("phase", String.valueOf(done.getStatus().getPhase()));
      m.put("llm_requests", llm.requests().size());
      m.putAll(PlayBenchmark.statusSize(c.admin, c.namespace, name));
      m.put("spans_by_kind", spansByKind(done));
      m.put("log_lines", done.getStatus().getSpans().stream().mapToInt(s -> s.getLogs() == null ? 0 : s.getLogs().size()).sum());
      int spans = done.getStatus().getSpans().size();
      m.put("bytes_per_span", spans == 0 ? null : Math.round((int) m.get("play_json_bytes") / (double) spans));
      return m;
    } finally {
      if (name != null) {
        c.admin.resources(Play.class).inNamespace(c.namespace).withName(name).delete();
      }
      c.admin.pods().inNamespace(c.namespace).withName("calendar").delete();
    }
  }

  private static Map<String, Integer> spansByKind(Play play) {
    Map<String, Integer> m = new TreeMap<>();
    for (Span s : play.getStatus().getSpans()) {
      m.merge(String.valueOf(s.getKind()), 1, Integer::sum);
    }
    return m;
  }
}
