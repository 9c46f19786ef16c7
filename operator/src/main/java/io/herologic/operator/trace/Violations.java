package io.herologic.operator.trace;

import java.util.function.Consumer;

/**
 * Protocol violations seen in one Play's event stream: counted, the first one's text kept for the
 * status, and the first few written (attributed, {@code [herologic] ...}) as log lines of the root
 * span, so a flood of forged events costs a counter, not memory.
 */
final class Violations {
  static final String PREFIX = "[herologic] ";

  private final int maxLogged;
  private long count;
  private String first;

  Violations(int maxLogged) {
    this.maxLogged = maxLogged;
  }

  /** Counts one violation; {@code log} gets its line while fewer than the bound were logged. */
  void record(String what, Consumer<String> log) {
    count++;
    if (first == null) {
      first = what;
    }
    if (count <= maxLogged) {
      log.accept(PREFIX + what);
    } else if (count == maxLogged + 1) {
      log.accept(PREFIX + "more protocol violations follow; they are counted, not logged");
    }
  }

  long count() {
    return count;
  }

  String first() {
    return first;
  }
}
