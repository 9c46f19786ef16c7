package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.FlowInput;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputValidatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<FlowInput> DECLARED = List.of(
      FlowInput.builder().name("prompt").type("string").required(true).description("what to do").build(),
      FlowInput.builder().name("count").type("integer").required(false).defaultValue(JSON.valueToTree(3)).build(),
      FlowInput.builder().name("ratio").type("number").required(false).build(),
      FlowInput.builder().name("flags").type("array").required(false).build(),
      FlowInput.builder().name("anything").required(false).build());

  private static List<String> check(String json) throws Exception {
    return InputValidator.problems(JSON.readTree(json), DECLARED);
  }

  @Test
  void acceptsMatchingInputs() throws Exception {
    assertEquals(List.of(), check("{\"prompt\": \"hi\", \"count\": 2, \"ratio\": 1, \"flags\": [], \"anything\": {\"x\": null}}"));
    assertEquals(List.of(), check("{\"prompt\": \"hi\", \"count\": 2.0}"), "2.0 is an integer in JSON terms");
  }

  @Test
  void namesEachProblemWithItsField() throws Exception {
    List<String> problems = check("{\"count\": \"3\", \"ratio\": true, \"colour\": 1}");
    assertEquals(List.of(
        "spec.inputs.count: must be an integer, got string \"3\"",
        "spec.inputs.ratio: must be a number, got boolean true",
        "spec.inputs.colour: the flow declares no such input (it takes: prompt, count, ratio, flags, anything)",
        "spec.inputs.prompt: required by the flow but missing (what to do)"), problems);
  }

  @Test
  void noInputsAtAllOnlyMissesTheRequiredOnes() {
    assertEquals(List.of("spec.inputs.prompt: required by the flow but missing (what to do)"), InputValidator.problems(null, DECLARED));
    assertTrue(InputValidator.problems(null, List.of()).isEmpty());
  }

  @Test
  void fractionsAreNotIntegers() throws Exception {
    assertEquals(List.of("spec.inputs.count: must be an integer, got number 2.5"), check("{\"prompt\": \"p\", \"count\": 2.5}"));
  }
}
