package io.herologic.operator.flowsource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.FlowInput;
import io.herologic.operator.flowsource.PythonLexer.Kind;
import io.herologic.operator.flowsource.PythonLexer.Token;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code @flow(name=..., inputs={...})} declaration from Python source text.
 *
 * <p>The operator must know a flow's name and inputs before any Pod runs (to validate a Play's
 * inputs at once), and it must never execute user code to learn them. So this reads the decorator
 * the way Python's own tokenizer would: comments and strings that merely mention {@code @flow} are
 * ignored, other decorators and keyword arguments are skipped, and arguments may span lines. The
 * {@code inputs} argument must be a literal; each value is a spec dict ({@code type},
 * {@code default}, {@code description}), a type name ({@code "string"} or {@code str}), or the
 * inputs may be a list of names. Without {@code inputs=}, the function's parameters are the inputs.
 * A parameter with a default in the function signature is optional either way.
 */
public final class FlowParser {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final Set<String> TYPES = Set.of("string", "integer", "number", "boolean", "object", "array");
  private static final Map<String, String> PYTHON_TYPES =
      Map.of("str", "string", "int", "integer", "float", "number", "bool", "boolean", "dict", "object", "list", "array");

  private final List<Token> tokens;
  private int at;

  private FlowParser(String source) {
    this.tokens = PythonLexer.tokenize(source);
  }

  /** Parses the single {@code @flow} in {@code source}; throws {@link FlowParseException} naming the line otherwise. */
  public static ParsedFlow parse(String source) {
    return new FlowParser(source).findFlow();
  }

  private ParsedFlow findFlow() {
    List<ParsedFlow> found = new ArrayList<>();
    boolean lineStart = true;
    for (at = 0; at < tokens.size(); ) {
      Token t = tokens.get(at);
      if (lineStart && t.isOp("@") && isFlowDecoratorAt(at + 1)) {
        found.add(readFlow(t.line()));
        lineStart = true;
        continue;
      }
      lineStart = t.kind() == Kind.NEWLINE;
      at++;
    }
    if (found.isEmpty()) {
      throw new FlowParseException(0, "no function decorated with @flow (add `from herologic import flow` and `@flow(name=\"...\")`)", true);
    }
    if (found.size() > 1) {
      throw new FlowParseException(found.get(1).line(),
          "a second @flow; the first is on line " + found.get(0).line() + ". A WorkflowVersion holds exactly one flow");
    }
    return found.get(0);
  }

  /** {@code flow} or {@code something.flow}, not {@code flow.step} and the like. */
  private boolean isFlowDecoratorAt(int i) {
    int j = i;
    while (tokens.get(j).kind() == Kind.NAME && tokens.get(j + 1).isOp(".")) {
      j += 2;
    }
    Token last = tokens.get(j);
    Token after = tokens.get(j + 1);
    return last.is(Kind.NAME, "flow") && (after.isOp("(") || after.kind() == Kind.NEWLINE);
  }

  private ParsedFlow readFlow(int line) {
    at++; // '@'
    while (!tokens.get(at).is(Kind.NAME, "flow") || tokens.get(at + 1).isOp(".")) {
      at++;
    }
    at++; // 'flow'
    String name = null;
    JsonNode inputs = null;
    if (tokens.get(at).isOp("(")) {
      at++;
      boolean positionalName = true;
      while (!tokens.get(at).isOp(")")) {
        Token t = tokens.get(at);
        if (t.kind() == Kind.NAME && tokens.get(at + 1).isOp("=")) {
          at += 2;
          if (t.text().equals("name")) {
            JsonNode value = literal("name");
            if (!value.isTextual() || value.asText().isBlank()) {
              throw new FlowParseException(t.line(), "@flow name must be a non-empty string literal");
            }
            name = value.asText();
          } else if (t.text().equals("inputs")) {
            inputs = literal("inputs");
          } else {
            skipExpression();
          }
        } else if (positionalName && t.kind() == Kind.STRING) {
          name = literal("name").asText();
        } else {
          skipExpression();
        }
        positionalName = false;
        if (tokens.get(at).isOp(",")) {
          at++;
        } else if (!tokens.get(at).isOp(")")) {
          throw new FlowParseException(tokens.get(at).line(), "unexpected '" + tokens.get(at).text() + "' in @flow(...)");
        }
      }
      at++; // ')'
    }
    expect(Kind.NEWLINE, "a new line after @flow(...)");
    while (tokens.get(at).isOp("@")) { // further decorators below @flow
      while (tokens.get(at).kind() != Kind.NEWLINE && tokens.get(at).kind() != Kind.END) {
        at++;
      }
      expect(Kind.NEWLINE, "a new line after a decorator");
    }
    if (tokens.get(at).is(Kind.NAME, "async")) {
      at++;
    }
    if (!tokens.get(at).is(Kind.NAME, "def")) {
      throw new FlowParseException(tokens.get(at).line(), "@flow must decorate a function (def or async def)");
    }
    at++;
    String function = expect(Kind.NAME, "the function name").text();
    Map<String, JsonNode> parameters = readParameters();
    List<FlowInput> declared = inputs == null ? fromParameters(parameters) : fromDeclaration(inputs, parameters, line);
    return new ParsedFlow(name != null ? name : function, function, line, declared);
  }

  /** Parameter name → its default (null when it has none); keeps order, skips self, *args and **kwargs. */
  private Map<String, JsonNode> readParameters() {
    expect(Kind.OP, "'(' after the function name");
    Map<String, JsonNode> params = new LinkedHashMap<>();
    while (!tokens.get(at).isOp(")")) {
      Token t = tokens.get(at);
      if (t.isOp("*") || t.isOp("**")) {
        at++;
        if (tokens.get(at).kind() == Kind.NAME) {
          at++;
        }
        skipTo(",", ")");
      } else if (t.isOp("/")) {
        at++;
      } else if (t.kind() == Kind.NAME) {
        at++;
        if (tokens.get(at).isOp(":")) {
          at++;
          skipExpressionUntil("=");
        }
        JsonNode defaultValue = null;
        if (tokens.get(at).isOp("=")) {
          at++;
          int start = at;
          try {
            defaultValue = literal(t.text());
          } catch (FlowParseException notLiteral) {
            at = start;
            skipExpression();
            defaultValue = JSON.nullNode(); // has a default we cannot show
          }
        }
        params.put(t.text(), defaultValue);
      } else {
        throw new FlowParseException(t.line(), "unexpected '" + t.text() + "' in the parameters of the flow function");
      }
      if (tokens.get(at).isOp(",")) {
        at++;
      }
    }
    at++;
    params.remove("self");
    return params;
  }

  private static List<FlowInput> fromParameters(Map<String, JsonNode> parameters) {
    List<FlowInput> inputs = new ArrayList<>();
    parameters.forEach((name, def) -> inputs.add(FlowInput.builder()
        .name(name).required(def == null).defaultValue(def == null || def.isNull() ? null : def).build()));
    return inputs;
  }

  private static List<FlowInput> fromDeclaration(JsonNode declared, Map<String, JsonNode> parameters, int line) {
    List<FlowInput> inputs = new ArrayList<>();
    if (declared.isArray()) {
      for (JsonNode name : declared) {
        if (!name.isTextual()) {
          throw new FlowParseException(line, "inputs given as a list must list names (strings)");
        }
        inputs.add(input(name.asText(), JSON.objectNode(), parameters, line));
      }
      return inputs;
    }
    if (!declared.isObject()) {
      throw new FlowParseException(line, "inputs must be a dict of name to spec, or a list of names");
    }
    declared.fields().forEachRemaining(e -> inputs.add(input(e.getKey(), e.getValue(), parameters, line)));
    return inputs;
  }

  private static FlowInput input(String name, JsonNode spec, Map<String, JsonNode> parameters, int line) {
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new FlowParseException(line, "input name '" + name + "' is not a Python identifier");
    }
    ObjectNode normalized = JSON.objectNode();
    if (spec.isTextual()) {
      normalized.put("type", spec.asText());
    } else if (spec.isObject()) {
      normalized = (ObjectNode) spec;
    } else if (!spec.isNull()) {
      throw new FlowParseException(line, "input '" + name + "': give a spec dict such as {\"type\": \"string\"} or a type name");
    }
    String type = normalized.hasNonNull("type") ? normalized.get("type").asText() : null;
    if (type != null) {
      type = PYTHON_TYPES.getOrDefault(type, type);
      if (!TYPES.contains(type)) {
        throw new FlowParseException(line, "input '" + name + "': unknown type '" + type + "' (use one of " + String.join(", ", new java.util.TreeSet<>(TYPES)) + ")");
      }
    }
    boolean hasDefault = normalized.has("default") || (parameters.containsKey(name) && parameters.get(name) != null);
    JsonNode defaultValue = normalized.has("default") ? normalized.get("default") : parameters.get(name);
    return FlowInput.builder()
        .name(name)
        .type(type)
        .required(!hasDefault)
        .defaultValue(defaultValue == null || defaultValue.isNull() && !normalized.has("default") ? null : defaultValue)
        .description(normalized.hasNonNull("description") ? normalized.get("description").asText() : null)
        .build();
  }

  // ---- literals -------------------------------------------------------------------------------

  /** A Python literal as JSON: str, int, float, True/False/None, dict, list, tuple, set, type names. */
  private JsonNode literal(String what) {
    Token t = tokens.get(at);
    switch (t.kind()) {
      case STRING -> {
        StringBuilder s = new StringBuilder();
        while (tokens.get(at).kind() == Kind.STRING) { // implicit concatenation
          s.append(tokens.get(at).value());
          at++;
        }
        return JSON.textNode(s.toString());
      }
      case NUMBER -> {
        at++;
        return number(t, false);
      }
      case NAME -> {
        at++;
        return switch (t.text()) {
          case "True" -> JSON.booleanNode(true);
          case "False" -> JSON.booleanNode(false);
          case "None" -> JSON.nullNode();
          default -> {
            if (PYTHON_TYPES.containsKey(t.text()) && !tokens.get(at).isOp("(")) {
              yield JSON.textNode(t.text());
            }
            throw new FlowParseException(t.line(), what + " must be a literal (found the name '" + t.text() + "')");
          }
        };
      }
      case OP -> {
        if (t.isOp("-") && tokens.get(at + 1).kind() == Kind.NUMBER) {
          at += 2;
          return number(tokens.get(at - 1), true);
        }
        if (t.isOp("{")) {
          return dictOrSet(what);
        }
        if (t.isOp("[") || t.isOp("(")) {
          return sequence(what, t.isOp("[") ? "]" : ")");
        }
        throw new FlowParseException(t.line(), what + " must be a literal (found '" + t.text() + "')");
      }
      default -> throw new FlowParseException(t.line(), what + " must be a literal");
    }
  }

  private JsonNode number(Token t, boolean negative) {
    String text = (negative ? "-" : "") + t.value();
    try {
      String lower = t.value().toLowerCase();
      if (lower.matches("0x[0-9a-f]+")) {
        BigInteger value = new BigInteger(lower.substring(2), 16);
        return JSON.numberNode(negative ? value.negate() : value);
      }
      if (lower.matches("-?[0-9]+")) {
        return JSON.numberNode(new BigInteger(text));
      }
      return JSON.numberNode(new BigDecimal(text));
    } catch (NumberFormatException e) {
      throw new FlowParseException(t.line(), "cannot read the number '" + t.text() + "'");
    }
  }

  private JsonNode dictOrSet(String what) {
    int line = tokens.get(at).line();
    at++; // '{'
    ObjectNode dict = JSON.objectNode();
    ArrayNode set = JSON.arrayNode();
    while (!tokens.get(at).isOp("}")) {
      JsonNode key = literal(what);
      if (tokens.get(at).isOp(":")) {
        at++;
        if (!key.isTextual()) {
          throw new FlowParseException(line, what + ": dict keys must be strings");
        }
        dict.set(key.asText(), literal(what + "['" + key.asText() + "']"));
      } else {
        set.add(key); // {"prompt", "model"}: a set of input names
      }
      if (tokens.get(at).isOp(",")) {
        at++;
      } else if (!tokens.get(at).isOp("}")) {
        throw new FlowParseException(tokens.get(at).line(), what + ": expected ',' or '}' but found '" + tokens.get(at).text() + "'");
      }
    }
    at++;
    if (!set.isEmpty() && !dict.isEmpty()) {
      throw new FlowParseException(line, what + " mixes a dict and a set");
    }
    return set.isEmpty() ? dict : set;
  }

  private JsonNode sequence(String what, String close) {
    at++;
    ArrayNode list = JSON.arrayNode();
    boolean sawComma = false;
    while (!tokens.get(at).isOp(close)) {
      list.add(literal(what));
      if (tokens.get(at).isOp(",")) {
        sawComma = true;
        at++;
      } else if (!tokens.get(at).isOp(close)) {
        throw new FlowParseException(tokens.get(at).line(), what + ": expected ',' or '" + close + "' but found '" + tokens.get(at).text() + "'");
      }
    }
    at++;
    // ("x") is just "x" in Python; only a comma makes a tuple.
    return close.equals(")") && list.size() == 1 && !sawComma ? list.get(0) : list;
  }

  // ---- skipping -------------------------------------------------------------------------------

  /** Skips one expression: up to a ',' or closing bracket at the current nesting level. */
  private void skipExpression() {
    skipTo(",", ")");
  }

  private void skipExpressionUntil(String stop) {
    int depth = 0;
    while (true) {
      Token t = tokens.get(at);
      if (t.kind() == Kind.END) {
        throw new FlowParseException(t.line(), "unexpected end of source");
      }
      if (depth == 0 && (t.isOp(stop) || t.isOp(",") || t.isOp(")"))) {
        return;
      }
      depth += opens(t) - closes(t);
      at++;
    }
  }

  private void skipTo(String comma, String close) {
    int depth = 0;
    while (true) {
      Token t = tokens.get(at);
      if (t.kind() == Kind.END) {
        throw new FlowParseException(t.line(), "unexpected end of source inside (...)");
      }
      if (depth == 0 && (t.isOp(comma) || t.isOp(close))) {
        return;
      }
      depth += opens(t) - closes(t);
      at++;
    }
  }

  private static int opens(Token t) {
    return t.isOp("(") || t.isOp("[") || t.isOp("{") ? 1 : 0;
  }

  private static int closes(Token t) {
    return t.isOp(")") || t.isOp("]") || t.isOp("}") ? 1 : 0;
  }

  private Token expect(Kind kind, String what) {
    Token t = tokens.get(at);
    if (t.kind() != kind) {
      throw new FlowParseException(t.line(), "expected " + what + " but found '" + t.text().replace("\n", "\\n") + "'");
    }
    at++;
    return t;
  }
}
