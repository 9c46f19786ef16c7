package io.herologic.operator.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.FlowInput;
import io.herologic.operator.flowsource.JsonTypes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a Play's inputs against the inputs its flow declares, before any Pod exists, by the rules
 * of flows/CONTRACT.md (the runner in the Pod applies the same rules, with the same messages).
 *
 * <p>Inputs come from anyone who may create a Play, so nothing here recurses on them: the depth is
 * measured with an explicit stack, and only inputs within the depth limit are serialised.
 */
public final class InputValidator {
  /** Levels of nesting, the inputs object itself being level 1. */
  public static final int MAX_DEPTH = 32;
  /**
   * Bytes of compact UTF-8 JSON, of the inputs given and again with the declared defaults added: the
   * flow Pod carries its effective inputs in an annotation, and the API server holds all of a Pod's
   * annotations to 256 KiB together; the rest is left for the annotations the Pod records its launch
   * in (or a cluster's webhooks add).
   */
  public static final int MAX_BYTES = 192 * 1024;

  private static final String ROOT = "spec.inputs";

  private InputValidator() {}

  /** Every problem found, each naming the field; empty when the inputs are acceptable. */
  public static List<String> problems(JsonNode inputs, List<FlowInput> declared) {
    JsonNode given = inputs == null || inputs.isNull() || inputs.isMissingNode() ? JsonNodeFactory.instance.objectNode() : inputs;
    if (!given.isObject()) {
      return List.of(ROOT + " must be a JSON object of input name to value");
    }
    Optional<String> tooDeep = firstContainerBelow(given, MAX_DEPTH);
    if (tooDeep.isPresent()) {
      return List.of(tooDeep.get() + ": nested deeper than " + MAX_DEPTH + " levels");
    }
    long bytes = JsonSize.of(given);
    if (bytes > MAX_BYTES) {
      return List.of(ROOT + ": " + bytes + " bytes of JSON, more than the 192 KiB (" + MAX_BYTES + " bytes) limit");
    }
    Map<String, FlowInput> byName = new LinkedHashMap<>(); // declared order
    (declared == null ? List.<FlowInput>of() : declared).forEach(i -> byName.putIfAbsent(i.getName(), i));
    List<String> problems = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> fields = given.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      String path = ROOT + JsonTypes.keyStep(field.getKey());
      FlowInput input = byName.get(field.getKey());
      if (input == null) {
        problems.add(path + ": the flow declares no such input (it takes: "
            + (byName.isEmpty() ? "none" : String.join(", ", byName.keySet())) + ")");
      } else if (input.getType() != null && !JsonTypes.hasType(field.getValue(), input.getType())) {
        problems.add(path + ": must be " + JsonTypes.withArticle(input.getType()) + ", got " + JsonTypes.describe(field.getValue()));
      }
    }
    for (FlowInput input : byName.values()) {
      if (input.isRequired() && !given.has(input.getName())) {
        problems.add(ROOT + JsonTypes.keyStep(input.getName()) + ": required by the flow but missing"
            + (input.getDescription() != null ? " (" + input.getDescription() + ")" : ""));
      }
    }
    if (problems.isEmpty()) {
      withDefaultsTooLarge(given, declared).ifPresent(problems::add);
    }
    return problems;
  }

  /** The size problem of the effective inputs, when declared defaults were added to them and took them past the limit. */
  private static Optional<String> withDefaultsTooLarge(JsonNode given, List<FlowInput> declared) {
    ObjectNode effective = effective(given, declared);
    List<String> defaulted = new ArrayList<>();
    effective.fieldNames().forEachRemaining(name -> {
      if (!given.has(name)) {
        defaulted.add(name);
      }
    });
    if (defaulted.isEmpty()) {
      return Optional.empty();
    }
    long bytes = JsonSize.of(effective);
    return bytes <= MAX_BYTES ? Optional.empty() : Optional.of(ROOT + ": " + bytes + " bytes of JSON with the declared defaults of "
        + String.join(", ", defaulted) + ", more than the 192 KiB (" + MAX_BYTES + " bytes) limit");
  }

  /** What the flow is called with: the given inputs, plus the default of each declared input not given. */
  public static ObjectNode effective(JsonNode inputs, List<FlowInput> declared) {
    ObjectNode effective = JsonNodeFactory.instance.objectNode();
    if (inputs != null && inputs.isObject()) {
      effective.setAll((ObjectNode) inputs);
    }
    for (FlowInput input : declared == null ? List.<FlowInput>of() : declared) {
      if (!effective.has(input.getName()) && input.getDefaultValue() != null) {
        effective.set(input.getName(), input.getDefaultValue());
      }
    }
    return effective;
  }

  /** A container on the way down, with how it was reached (the path is only built for the message). */
  private record Level(JsonNode node, Level parent, String step, int depth) {
    String path() {
      StringBuilder path = new StringBuilder();
      for (Level l = this; l.parent != null; l = l.parent) {
        path.insert(0, l.step);
      }
      return ROOT + path;
    }
  }

  /** The path of the first container (depth-first, document order) deeper than {@code maxDepth}. */
  static Optional<String> firstContainerBelow(JsonNode root, int maxDepth) {
    Deque<Level> stack = new ArrayDeque<>();
    stack.push(new Level(root, null, "", 1));
    while (!stack.isEmpty()) {
      Level level = stack.pop();
      if (level.depth > maxDepth) {
        return Optional.of(level.path());
      }
      List<Level> children = new ArrayList<>();
      if (level.node.isObject()) {
        level.node.fields().forEachRemaining(e -> {
          if (e.getValue().isContainerNode()) {
            children.add(new Level(e.getValue(), level, JsonTypes.keyStep(e.getKey()), level.depth + 1));
          }
        });
      } else {
        for (int i = 0; i < level.node.size(); i++) {
          if (level.node.get(i).isContainerNode()) {
            children.add(new Level(level.node.get(i), level, "[" + i + "]", level.depth + 1));
          }
        }
      }
      for (int i = children.size() - 1; i >= 0; i--) { // the first child is popped first
        stack.push(children.get(i));
      }
    }
    return Optional.empty();
  }
}
