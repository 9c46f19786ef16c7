package io.herologic.operator.play;

import com.fasterxml.jackson.databind.JsonNode;
import io.herologic.model.FlowInput;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Checks a Play's inputs against the inputs its flow declares, before any Pod exists. */
public final class InputValidator {
  private InputValidator() {}

  /** Every problem found, each naming the input; empty when the inputs are acceptable. */
  public static List<String> problems(JsonNode inputs, List<FlowInput> declared) {
    List<String> problems = new ArrayList<>();
    if (inputs != null && !inputs.isNull() && !inputs.isObject()) {
      problems.add("spec.inputs must be a JSON object of input name to value");
      return problems;
    }
    List<FlowInput> known = declared == null ? List.of() : declared;
    Map<String, FlowInput> byName = known.stream()
        .collect(Collectors.toMap(FlowInput::getName, i -> i, (a, b) -> a, java.util.LinkedHashMap::new)); // declared order
    if (inputs != null && inputs.isObject()) {
      for (Iterator<String> names = inputs.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        FlowInput input = byName.get(name);
        if (input == null) {
          problems.add("spec.inputs." + name + ": the flow declares no such input (it takes: "
              + (byName.isEmpty() ? "none" : String.join(", ", byName.keySet())) + ")");
        } else if (input.getType() != null && !hasType(inputs.get(name), input.getType())) {
          problems.add("spec.inputs." + name + ": must be " + article(input.getType()) + " " + input.getType()
              + ", got " + describe(inputs.get(name)));
        }
      }
    }
    for (FlowInput input : known) {
      if (input.isRequired() && (inputs == null || !inputs.has(input.getName()))) {
        problems.add("spec.inputs." + input.getName() + ": required by the flow but missing"
            + (input.getDescription() != null ? " (" + input.getDescription() + ")" : ""));
      }
    }
    return problems;
  }

  static boolean hasType(JsonNode value, String type) {
    return switch (type) {
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber() || (value.isNumber() && value.asDouble() == Math.rint(value.asDouble()));
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      default -> true;
    };
  }

  private static final Set<String> VOWEL_TYPES = Set.of("integer", "object", "array");

  private static String article(String type) {
    return VOWEL_TYPES.contains(type) ? "an" : "a";
  }

  private static String describe(JsonNode value) {
    String kind = value.isTextual() ? "string" : value.isIntegralNumber() ? "integer" : value.isNumber() ? "number"
        : value.isBoolean() ? "boolean" : value.isObject() ? "object" : value.isArray() ? "array" : "null";
    String text = value.toString();
    return kind + " " + (text.length() > 40 ? text.substring(0, 40) + "…" : text);
  }
}
