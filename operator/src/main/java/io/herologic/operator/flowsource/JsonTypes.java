package io.herologic.operator.flowsource;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.regex.Pattern;

/**
 * JSON types, values and paths as flows/CONTRACT.md words them in messages. The SDK writes the same
 * text (herologic/contract.py), so a value is shown as Python's {@code json}/{@code repr} would show it.
 */
public final class JsonTypes {
  /** The types an input may declare, in the order messages list them. */
  public static final List<String> TYPES = List.of("string", "integer", "number", "boolean", "object", "array");

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final int SHOWN_CODE_POINTS = 40;

  private JsonTypes() {}

  /** An integer is a number written without fraction or exponent: {@code 2.0} is not one. */
  public static boolean hasType(JsonNode value, String type) {
    return switch (type) {
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "object" -> value.isObject();
      case "array" -> value.isArray();
      default -> true;
    };
  }

  /** "an integer", "a string". */
  public static String withArticle(String type) {
    return (type.startsWith("i") || type.startsWith("o") || type.startsWith("a") ? "an " : "a ") + type;
  }

  /** The kind of a value and, for a scalar, the value: {@code string "3"}, {@code number 2.0}, {@code object}. */
  public static String describe(JsonNode value) {
    if (value.isTextual()) {
      String quoted = quote(value.asText());
      return "string " + (quoted.codePointCount(0, quoted.length()) > SHOWN_CODE_POINTS
          ? quoted.substring(0, quoted.offsetByCodePoints(0, SHOWN_CODE_POINTS)) + "…" : quoted);
    }
    if (value.isIntegralNumber()) {
      return "integer " + value.bigIntegerValue();
    }
    if (value.isNumber()) {
      return "number " + pythonRepr(value.doubleValue());
    }
    if (value.isBoolean()) {
      return "boolean " + value.asBoolean();
    }
    return value.isObject() ? "object" : value.isArray() ? "array" : "null";
  }

  /** Is {@code name} an identifier (ASCII letters, digits, underscore; not starting with a digit)? */
  public static boolean isIdentifier(String name) {
    return IDENTIFIER.matcher(name).matches();
  }

  /** One step of a path: {@code .name} for an identifier, else {@code ["any key"]}. */
  public static String keyStep(String key) {
    return isIdentifier(key) ? "." + key : "[" + quote(key) + "]";
  }

  /** A JSON string literal escaped as Python's {@code json.dumps(s, ensure_ascii=False)} does. */
  public static String quote(String text) {
    StringBuilder out = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /** A double as Python's {@code repr(float)}: {@code 2.0}, {@code 0.0001}, {@code 1e-05}, {@code 1e+20}. */
  static String pythonRepr(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0.0" : "0.0";
    }
    BigDecimal shortest = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
    String digits = shortest.unscaledValue().toString();
    int exponent = digits.length() - 1 - shortest.scale();
    String sign = d < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
      String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
      return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
    }
    String plain = shortest.toPlainString();
    return sign + (plain.contains(".") ? plain : plain + ".0");
  }
}
