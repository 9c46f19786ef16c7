package io.herologic.operator.flowsource;

/** The source holds no usable {@code @flow}; the message names the line. */
public class FlowParseException extends RuntimeException {
  private final int line;
  private final boolean noFlow;

  FlowParseException(int line, String message) {
    this(line, message, false);
  }

  FlowParseException(int line, String message, boolean noFlow) {
    super(line > 0 ? "line " + line + ": " + message : message);
    this.line = line;
    this.noFlow = noFlow;
  }

  public int line() {
    return line;
  }

  /** True when the source simply has no {@code @flow} decorator at all. */
  public boolean noFlowDecorator() {
    return noFlow;
  }
}
