package io.herologic.operator.flowsource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.type.TypeReference;
import io.herologic.model.FlowInput;
import io.herologic.operator.play.InputValidator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs every golden fixture of flows/contract/ (CONTRACT.md) against FlowParser and InputValidator; pytest runs the same files against the SDK. */
class ContractFixturesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @TestFactory
  Stream<DynamicTest> declarations() throws IOException {
    return cases("declarations.json").map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
      String source = String.join("\n", StreamSupport.stream(c.get("source").spliterator(), false).map(JsonNode::asText).toList()) + "\n";
      if (c.has("error")) {
        FlowParseException e = assertThrows(FlowParseException.class, () -> FlowParser.parse(source));
        assertEquals(c.get("error").asText(), e.getMessage());
        return;
      }
      ParsedFlow flow = FlowParser.parse(source);
      assertEquals(c.get("flow").asText(), flow.name());
      assertEquals(canonical(c.get("inputs")), canonical(JSON.valueToTree(flow.inputs())));
    }));
  }

  @TestFactory
  Stream<DynamicTest> inputs() throws IOException {
    return cases("inputs.json").map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
      List<FlowInput> declared = JSON.convertValue(c.get("declared"), new TypeReference<List<FlowInput>>() {});
      JsonNode given = c.has("generate") ? generate(c.get("generate")) : c.get("given");
      List<String> problems = InputValidator.problems(given, declared);
      if (c.has("problems")) {
        assertEquals(JSON.convertValue(c.get("problems"), new TypeReference<List<String>>() {}), problems);
        return;
      }
      assertEquals(List.of(), problems);
      JsonNode expected = c.get("effective").isTextual() ? asGiven(given, c.get("plus")) : c.get("effective");
      assertEquals(canonical(expected), canonical(InputValidator.effective(given, declared)));
    }));
  }

  /** The fixture's effective "as given": the given inputs, plus the entries of {@code plus} when there is one. */
  private static JsonNode asGiven(JsonNode given, JsonNode plus) {
    if (plus == null) {
      return given;
    }
    ObjectNode expected = ((ObjectNode) given).deepCopy();
    expected.setAll((ObjectNode) plus);
    return expected;
  }

  /** The fixture's rule for inputs too big to store: nested containers, or a repeated string. */
  static JsonNode generate(JsonNode rule) {
    ObjectNode inputs = NODES.objectNode();
    JsonNode value;
    if (rule.has("nest")) {
      value = NODES.numberNode(1);
      for (int i = 0; i < rule.get("levels").asInt(); i++) { // inside out: no recursion
        if (rule.get("nest").asText().equals("object")) {
          value = NODES.objectNode().set(rule.get("key").asText(), value);
        } else {
          value = NODES.arrayNode().add(value);
        }
      }
    } else {
      value = NODES.textNode(rule.get("string").asText().repeat(rule.get("repeat").asInt()));
    }
    inputs.set(rule.get("input").asText(), value);
    if (rule.has("also")) {
      inputs.setAll((ObjectNode) rule.get("also"));
    }
    return inputs;
  }

  /** Ints, longs and big integers of one value compare equal once written and read back. */
  private static JsonNode canonical(JsonNode node) throws IOException {
    return JSON.readTree(JSON.writeValueAsString(node));
  }

  private static Stream<JsonNode> cases(String file) throws IOException {
    JsonNode doc = JSON.readTree(Files.readString(contractDir().resolve(file)));
    List<JsonNode> cases = new ArrayList<>();
    ((ArrayNode) doc.get("cases")).forEach(cases::add);
    return cases.stream();
  }

  static Path contractDir() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("flows/contract"))) {
        return dir.resolve("flows/contract");
      }
    }
    throw new IllegalStateException("flows/contract not found above " + Path.of("").toAbsolutePath());
  }
}
