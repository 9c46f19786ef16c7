package io.herologic.operator.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.operator.bundle.BundledFiles;
import io.herologic.operator.flowsource.FlowParser;
import io.herologic.operator.flowsource.FlowSource;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BuiltinFlowTest {
  private final Map<String, byte[]> bundled = BundledFiles.python("herologic/builtin");

  @Test
  void everyBuiltinSourceDeclaresTheNameTheTableRegistersItUnder() {
    for (BuiltinFlow flow : BuiltinFlow.ALL) {
      byte[] source = bundled.get(flow.fileName());
      assertNotNull(source, flow.fileName() + " is bundled into the operator");
      assertEquals(flow.flowName(), FlowParser.parse(new String(source, StandardCharsets.UTF_8)).name(), flow.fileName());
    }
  }

  @Test
  void namesAreValidKubernetesNamesCarryingTheDigest() {
    BuiltinFlow agent = BuiltinFlow.ALL.stream().filter(f -> f.flowName().equals("service_agent_v3")).findFirst().orElseThrow();
    String digest = new FlowSource(bundled.get(agent.fileName())).digest();
    assertEquals("service-agent-v3", agent.workflowName());
    assertEquals("service-agent-v3-" + digest.substring(7, 17), agent.versionName(digest));
    assertTrue(agent.configMapName(digest).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?"));
    assertTrue(agent.callsModel(), "the agent calls a model, so its Workflow declares llm");
    assertTrue(agent.discoversServices(), "the operator hands the agent its Services, so its Pod needs no API token");
    BuiltinFlow hello = BuiltinFlow.ALL.stream().filter(f -> f.flowName().equals("hello")).findFirst().orElseThrow();
    assertFalse(hello.callsModel(), "hello calls no model: its Pods never see an LLM key");
  }

  @Test
  void theAgentDeclaresPromptAndModel() {
    var inputs = FlowParser.parse(new String(bundled.get("service_agent_v3.py"), StandardCharsets.UTF_8)).inputs();
    var prompt = inputs.stream().filter(i -> i.getName().equals("prompt")).findFirst().orElseThrow();
    assertTrue(prompt.isRequired());
    assertEquals("string", prompt.getType());
    assertTrue(inputs.stream().anyMatch(i -> i.getName().equals("model") && !i.isRequired()));
  }
}
