package io.herologic.operator.bench;

/** How a benchmark's main() ends: exit 0 when it ran, 1 with the stack trace when it failed. */
final class BenchMain {
  interface Run {
    void run() throws Exception;
  }

  private BenchMain() {}

  static void runAndExit(Run benchmark) {
    int code = 0;
    try {
      benchmark.run();
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }
}
