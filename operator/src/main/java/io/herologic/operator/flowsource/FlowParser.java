package io.herologic.operator.flowsource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.FlowInput;
import io.herologic.operator.flowsource.PythonLexer.Kind;
import io.herologic.operator.flowsource.PythonLexer.Token;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code @flow(name=..., inputs={...})} declaration from Python source text, as
 * flows/CONTRACT.md specifies it (the SDK's {@code herologic inspect} follows the same contract, and
 * the golden fixtures in flows/contract/ hold both to it).
 *
 * <p>The operator must know a flow's name and inputs before any Pod runs (to validate a Play's
 * inputs at once), and it must never execute user code to learn them. So this reads the decorator
 * the way Python's own tokenizer would: comments and strings that merely mention {@code @flow} are
 * ignored, other decorators are skipped, and arguments may span lines. {@code inputs} must be a
 * literal dict of input name to spec ({@code type}, {@code default}, {@code description}); without
 * it, the function's parameters are the inputs. Every error names the line of the {@code @flow}.
 */
public final class FlowParser {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final List<String> SPEC_KEYS = List.of("type", "default", "description");
  private static final String NAME_RULE = "@flow name must be a non-empty string literal";
  private static final String INPUTS_RULE = "@flow inputs must be a literal dict of input name to spec";
  /** Marks a parameter default that is not a literal: the input is optional, its value unknown here. */
  private static final JsonNode UNKNOWN_DEFAULT = MissingNode.getInstance();

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
        if (t.column() > 0) {
          throw new FlowParseException(t.line(), "@flow must decorate a top-level function");
        }
        if (!found.isEmpty()) {
          throw new FlowParseException(t.line(),
              "a second @flow; the first is on line " + found.get(0).line() + ". A WorkflowVersion holds exactly one flow");
        }
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
      boolean first = true;
      while (!tokens.get(at).isOp(")")) {
        Token t = tokens.get(at);
        if (t.kind() == Kind.NAME && tokens.get(at + 1).isOp("=")) {
          at += 2;
          switch (t.text()) {
            case "name" -> name = literalName(line);
            case "inputs" -> inputs = literalOr(line, INPUTS_RULE);
            default -> throw new FlowParseException(line, "@flow takes only a name and inputs (found " + t.text() + "=)");
          }
        } else if (first) {
          name = literalName(line);
        } else {
          throw new FlowParseException(line, "@flow takes only a name and inputs (found a second positional argument)");
        }
        first = false;
        if (tokens.get(at).isOp(",")) {
          at++;
        } else if (!tokens.get(at).isOp(")")) {
          throw new FlowParseException(line, "unexpected '" + tokens.get(at).text() + "' in @flow(...)");
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
      throw new FlowParseException(line, "@flow must decorate a function (def or async def)");
    }
    at++;
    String function = expect(Kind.NAME, "the function name").text();
    Parameters parameters = readParameters();
    List<FlowInput> declared = inputs == null ? fromParameters(parameters) : fromDeclaration(inputs, parameters, function, line);
    return new ParsedFlow(name != null ? name : function, function, line, declared);
  }

  private String literalName(int line) {
    JsonNode value = literalOr(line, NAME_RULE);
    if (!value.isTextual() || value.asText().isEmpty()) {
      throw new FlowParseException(line, NAME_RULE);
    }
    return value.asText();
  }

  /** The literal at the current token, or the contract's message for a value that must be one. */
  private JsonNode literalOr(int line, String rule) {
    try {
      return literal("@flow argument");
    } catch (FlowParseException notLiteral) {
      throw new FlowParseException(line, rule);
    }
  }

  /** The function's parameters in order, each with its default (null: none), and whether it takes **kwargs. */
  private record Parameters(Map<String, JsonNode> defaults, boolean takesKeywords) {}

  /** Skips self and *args; **kwargs only sets {@code takesKeywords}. */
  private Parameters readParameters() {
    expect(Kind.OP, "'(' after the function name");
    Map<String, JsonNode> params = new LinkedHashMap<>();
    boolean takesKeywords = false;
    while (!tokens.get(at).isOp(")")) {
      Token t = tokens.get(at);
      if (t.isOp("*") || t.isOp("**")) {
        takesKeywords |= t.isOp("**");
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
            defaultValue = UNKNOWN_DEFAULT;
          }
          if (!tokens.get(at).isOp(",") && !tokens.get(at).isOp(")")) { // `x=1 + 2`: not a literal after all
            skipExpression();
            defaultValue = UNKNOWN_DEFAULT;
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
    return new Parameters(params, takesKeywords);
  }

  private static List<FlowInput> fromParameters(Parameters parameters) {
    List<FlowInput> inputs = new ArrayList<>();
    parameters.defaults().forEach((name, def) -> inputs.add(FlowInput.builder()
        .name(name).required(def == null).defaultValue(def == null || def.isMissingNode() ? null : def).build()));
    return inputs;
  }

  private static List<FlowInput> fromDeclaration(JsonNode declared, Parameters parameters, String function, int line) {
    if (!declared.isObject()) {
      throw new FlowParseException(line, INPUTS_RULE);
    }
    List<FlowInput> inputs = new ArrayList<>();
    declared.fields().forEachRemaining(e -> inputs.add(input(e.getKey(), e.getValue(), parameters, function, line)));
    parameters.defaults().forEach((name, def) -> {
      if (def == null && !declared.has(name)) {
        throw new FlowParseException(line, "parameter '" + name + "' of " + function + "() has no default and is not a declared input");
      }
    });
    return inputs;
  }

  /** One declared input; the checks run in the order CONTRACT.md lists them. */
  private static FlowInput input(String name, JsonNode spec, Parameters parameters, String function, int line) {
    String problem = "input '" + name + "': ";
    if (!JsonTypes.isIdentifier(name)) {
      throw new FlowParseException(line, problem + "not a Python identifier");
    }
    if (!spec.isObject()) {
      throw new FlowParseException(line, problem + "the spec must be a dict such as {\"type\": \"string\"}");
    }
    spec.fieldNames().forEachRemaining(key -> {
      if (!SPEC_KEYS.contains(key)) {
        throw new FlowParseException(line, problem + "unknown key '" + key + "' (allowed: type, default, description)");
      }
    });
    String type = null;
    if (spec.has("type")) {
      JsonNode given = spec.get("type");
      if (!given.isTextual() || !JsonTypes.TYPES.contains(given.asText())) {
        throw new FlowParseException(line, problem + "unknown type '" + (given.isTextual() ? given.asText() : given.toString())
            + "' (use one of " + String.join(", ", JsonTypes.TYPES) + ")");
      }
      type = given.asText();
    }
    if (spec.has("description") && !spec.get("description").isTextual()) {
      throw new FlowParseException(line, problem + "description must be a string");
    }
    JsonNode specDefault = spec.get("default");
    if (specDefault != null && !specDefault.isNull() && type != null && !JsonTypes.hasType(specDefault, type)) {
      throw new FlowParseException(line, problem + "default must be " + JsonTypes.withArticle(type) + ", got " + JsonTypes.describe(specDefault));
    }
    if (!parameters.defaults().containsKey(name) && !parameters.takesKeywords()) {
      throw new FlowParseException(line, problem + "not a parameter of " + function + "()");
    }
    JsonNode parameterDefault = parameters.defaults().get(name);
    JsonNode shown = specDefault != null ? specDefault : parameterDefault == null || parameterDefault.isMissingNode() ? null : parameterDefault;
    return FlowInput.builder()
        .name(name)
        .type(type)
        .required(specDefault == null && parameterDefault == null)
        .defaultValue(shown)
        .description(spec.hasNonNull("description") ? spec.get("description").asText() : null)
        .build();
  }

  // ---- literals -------------------------------------------------------------------------------

  /** A Python literal as JSON: str, int, float, True/False/None, dict (string keys), list, tuple. */
  private JsonNode literal(String what) {
    Token t = tokens.get(at);
    switch (t.kind()) {
      case STRING -> {
        StringBuilder s = new StringBuilder();
        while (tokens.get(at).kind() == Kind.STRING) { // implicit concatenation
          String prefix = tokens.get(at).text().replaceFirst("[\"'].*", "").toLowerCase();
          if (prefix.contains("f") || prefix.contains("b")) { // an f-string is code; bytes are not JSON
            throw new FlowParseException(t.line(), what + " must be a literal str, not " + (prefix.contains("f") ? "an f-string" : "bytes"));
          }
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
          default -> throw new FlowParseException(t.line(), what + " must be a literal (found the name '" + t.text() + "')");
        };
      }
      case OP -> {
        if (t.isOp("-") && tokens.get(at + 1).kind() == Kind.NUMBER) {
          at += 2;
          return number(tokens.get(at - 1), true);
        }
        if (t.isOp("{")) {
          return dict(what);
        }
        if (t.isOp("[") || t.isOp("(")) {
          return sequence(what, t.isOp("[") ? "]" : ")");
        }
        throw new FlowParseException(t.line(), what + " must be a literal (found '" + t.text() + "')");
      }
      default -> throw new FlowParseException(t.line(), what + " must be a literal");
    }
  }

  /** An int as the smallest node that holds it, a float as a double (what Python's float is). */
  private JsonNode number(Token t, boolean negative) {
    String lower = t.value().toLowerCase();
    try {
      int radix = lower.startsWith("0x") ? 16 : lower.startsWith("0o") ? 8 : lower.startsWith("0b") ? 2 : 10;
      if (radix != 10 || lower.matches("[0-9]+")) {
        BigInteger value = new BigInteger(radix == 10 ? lower : lower.substring(2), radix);
        value = negative ? value.negate() : value;
        return value.bitLength() < 32 ? JSON.numberNode(value.intValue())
            : value.bitLength() < 64 ? JSON.numberNode(value.longValue()) : JSON.numberNode(value);
      }
      double value = Double.parseDouble(lower);
      return JSON.numberNode(negative ? -value : value);
    } catch (NumberFormatException e) {
      throw new FlowParseException(t.line(), "cannot read the number '" + t.text() + "'");
    }
  }

  private JsonNode dict(String what) {
    int line = tokens.get(at).line();
    at++; // '{'
    ObjectNode dict = JSON.objectNode();
    while (!tokens.get(at).isOp("}")) {
      JsonNode key = literal(what);
      if (tokens.get(at).isOp(":")) {
        at++;
        if (!key.isTextual()) {
          throw new FlowParseException(line, what + ": dict keys must be strings");
        }
        dict.set(key.asText(), literal(what + "['" + key.asText() + "']"));
      } else {
        throw new FlowParseException(line, what + ": a set is not a JSON value");
      }
      if (tokens.get(at).isOp(",")) {
        at++;
      } else if (!tokens.get(at).isOp("}")) {
        throw new FlowParseException(tokens.get(at).line(), what + ": expected ',' or '}' but found '" + tokens.get(at).text() + "'");
      }
    }
    at++;
    return dict;
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
