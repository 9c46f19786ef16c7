package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.FlowInput;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The shared rules are in flows/contract/ (ContractFixturesTest); here: what a hostile tree must not do to the operator. */
class InputValidatorTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final List<FlowInput> DATA = List.of(FlowInput.builder().name("data").required(true).build());

  @Test
  void aVeryDeepTreeIsCheckedWithoutRecursion() throws Exception {
    JsonNode deep = NODES.numberNode(1);
    for (int i = 0; i < 200_000; i++) {
      deep = NODES.arrayNode().add(deep);
    }
    ObjectNode inputs = NODES.objectNode().set("data", deep);
    AtomicReference<Object> result = new AtomicReference<>();
    // 64 KiB of stack: a recursive walk would overflow long before 200,000 levels
    Thread small = new Thread(null, () -> {
      try {
        result.set(InputValidator.problems(inputs, DATA));
      } catch (Throwable t) {
        result.set(t);
      }
    }, "small-stack", 64 * 1024);
    small.start();
    small.join();
    assertEquals(List.of("spec.inputs.data" + "[0]".repeat(31) + ": nested deeper than 32 levels"), result.get());
  }

  @Test
  void thePathNamesTheFirstTooDeepContainerInDocumentOrder() {
    ObjectNode inputs = NODES.objectNode();
    ObjectNode shallow = inputs.putObject("data").putObject("first");
    JsonNode deep = NODES.objectNode();
    for (int i = 0; i < 40; i++) {
      deep = NODES.objectNode().set("k-" + (i % 2), deep);
    }
    inputs.withObject("/data").putArray("second").add(1).add(NODES.arrayNode()).add(deep);
    shallow.put("x", 1);
    String expected = "spec.inputs.data.second[2]" + "[\"k-1\"][\"k-0\"]".repeat(14) + "[\"k-1\"]"; // data is level 2, [2] level 4: 29 more
    assertEquals(List.of(expected + ": nested deeper than 32 levels"), InputValidator.problems(inputs, DATA));
  }
}
