package io.herologic.operator.flowsource;

import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of Python's tokenizer to find decorators reliably: strings (every prefix, triple
 * quotes), comments, brackets and logical lines. It never executes or imports the source.
 */
final class PythonLexer {
  enum Kind { NAME, NUMBER, STRING, OP, NEWLINE, END }

  /** {@code column} is the offset of the token's first character on its line (0: not indented). */
  record Token(Kind kind, String text, String value, int line, int column) {
    boolean is(Kind k, String t) {
      return kind == k && text.equals(t);
    }

    boolean isOp(String t) {
      return is(Kind.OP, t);
    }
  }

  private final String src;
  private int pos;
  private int line = 1;
  private int depth;
  private final List<Token> tokens = new ArrayList<>();

  private PythonLexer(String src) {
    this.src = src;
  }

  static List<Token> tokenize(String source) {
    PythonLexer lexer = new PythonLexer(source);
    lexer.run();
    return lexer.tokens;
  }

  private void run() {
    while (pos < src.length()) {
      char c = src.charAt(pos);
      if (c == '\n') {
        if (depth == 0) {
          emitNewline();
        }
        line++;
        pos++;
      } else if (c == '\\' && pos + 1 < src.length() && src.charAt(pos + 1) == '\n') {
        pos += 2; // explicit line continuation
        line++;
      } else if (c == '\\' && pos + 2 < src.length() && src.charAt(pos + 1) == '\r' && src.charAt(pos + 2) == '\n') {
        pos += 3;
        line++;
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else if (c == '#') {
        while (pos < src.length() && src.charAt(pos) != '\n') {
          pos++;
        }
      } else if (startsString()) {
        readString();
      } else if (Character.isDigit(c) || (c == '.' && pos + 1 < src.length() && Character.isDigit(src.charAt(pos + 1)))) {
        readNumber();
      } else if (Character.isLetter(c) || c == '_' || c > 127) {
        int start = pos;
        while (pos < src.length() && isNameChar(src.charAt(pos))) {
          pos++;
        }
        String name = src.substring(start, pos);
        tokens.add(new Token(Kind.NAME, name, name, line, column(start)));
      } else {
        readOperator(c);
      }
    }
    emitNewline();
    tokens.add(new Token(Kind.END, "", "", line, 0));
  }

  private int column(int at) {
    return at - (src.lastIndexOf('\n', at - 1) + 1);
  }

  private static boolean isNameChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c > 127;
  }

  private void emitNewline() {
    if (!tokens.isEmpty() && tokens.get(tokens.size() - 1).kind() != Kind.NEWLINE) {
      tokens.add(new Token(Kind.NEWLINE, "\n", "\n", line, 0));
    }
  }

  private void readOperator(char c) {
    if ("([{".indexOf(c) >= 0) {
      depth++;
    } else if (")]}".indexOf(c) >= 0 && depth > 0) {
      depth--;
    }
    String[] multi = {"**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "==", "!=", "<=", ">=", ":=", "+=", "-=", "*=", "/="};
    for (String op : multi) {
      if (src.startsWith(op, pos)) {
        tokens.add(new Token(Kind.OP, op, op, line, column(pos)));
        pos += op.length();
        return;
      }
    }
    tokens.add(new Token(Kind.OP, String.valueOf(c), String.valueOf(c), line, column(pos)));
    pos++;
  }

  private void readNumber() {
    int start = pos;
    while (pos < src.length()) {
      char c = src.charAt(pos);
      boolean exponentSign = (c == '+' || c == '-') && pos > start && "eE".indexOf(src.charAt(pos - 1)) >= 0
          && !src.substring(start, pos).toLowerCase().startsWith("0x");
      if (Character.isLetterOrDigit(c) || c == '_' || c == '.' || exponentSign) {
        pos++;
      } else {
        break;
      }
    }
    String text = src.substring(start, pos);
    tokens.add(new Token(Kind.NUMBER, text, text.replace("_", ""), line, column(start)));
  }

  /** A string starts with a quote, or with up to two prefix letters (r, b, u, f) then a quote. */
  private boolean startsString() {
    int i = pos;
    while (i < src.length() && i - pos < 2 && "rRbBuUfF".indexOf(src.charAt(i)) >= 0) {
      i++;
    }
    if (i >= src.length() || (src.charAt(i) != '"' && src.charAt(i) != '\'')) {
      return false;
    }
    // "rb" followed by a quote is a prefix; a name like "bar" is not (checked by the quote right after).
    return i == pos || !isNameChar(pos > 0 ? src.charAt(pos - 1) : ' ');
  }

  private void readString() {
    int start = pos;
    int startLine = line;
    StringBuilder prefix = new StringBuilder();
    while ("rRbBuUfF".indexOf(src.charAt(pos)) >= 0) {
      prefix.append(Character.toLowerCase(src.charAt(pos)));
      pos++;
    }
    boolean raw = prefix.indexOf("r") >= 0;
    char quote = src.charAt(pos);
    boolean triple = src.startsWith(String.valueOf(quote).repeat(3), pos);
    String delimiter = triple ? String.valueOf(quote).repeat(3) : String.valueOf(quote);
    pos += delimiter.length();
    StringBuilder value = new StringBuilder();
    while (true) {
      if (pos >= src.length()) {
        throw new FlowParseException(startLine, "string starting here is never closed");
      }
      char c = src.charAt(pos);
      if (src.startsWith(delimiter, pos)) {
        pos += delimiter.length();
        break;
      }
      if (c == '\n') {
        if (!triple) {
          throw new FlowParseException(startLine, "string starting here is never closed on its line");
        }
        line++;
      }
      if (c == '\\' && pos + 1 < src.length()) {
        char next = src.charAt(pos + 1);
        if (next == '\n') {
          line++;
        }
        if (raw) {
          value.append(c).append(next);
        } else {
          pos = Escapes.decode(src, pos, value);
          continue;
        }
        pos += 2;
        continue;
      }
      value.append(c);
      pos++;
    }
    tokens.add(new Token(Kind.STRING, src.substring(start, pos), value.toString(), startLine, column(start)));
  }

  /** Python's backslash escapes for non-raw strings. */
  private static final class Escapes {
    static int decode(String src, int at, StringBuilder out) {
      char e = src.charAt(at + 1);
      switch (e) {
        case '\n' -> { return at + 2; }
        case 'n' -> out.append('\n');
        case 't' -> out.append('\t');
        case 'r' -> out.append('\r');
        case '0', '1', '2', '3', '4', '5', '6', '7' -> {
          int end = at + 1;
          while (end < src.length() && end < at + 4 && src.charAt(end) >= '0' && src.charAt(end) <= '7') {
            end++;
          }
          out.append((char) Integer.parseInt(src.substring(at + 1, end), 8));
          return end;
        }
        case 'x' -> { return hex(src, at, 2, out); }
        case 'u' -> { return hex(src, at, 4, out); }
        case 'U' -> { return hex(src, at, 8, out); }
        case 'a' -> out.append('\u0007');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'v' -> out.append('\u000b');
        case '\\', '\'', '"' -> out.append(e);
        default -> out.append('\\').append(e);
      }
      return at + 2;
    }

    private static int hex(String src, int at, int digits, StringBuilder out) {
      int end = Math.min(src.length(), at + 2 + digits);
      try {
        out.appendCodePoint(Integer.parseInt(src.substring(at + 2, end), 16));
      } catch (IllegalArgumentException ex) {
        out.append(src, at, end);
      }
      return end;
    }
  }
}
