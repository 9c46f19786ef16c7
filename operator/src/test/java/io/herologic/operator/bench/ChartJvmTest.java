package io.herologic.operator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The benchmarks' stand-in for the chart's container: the JVM must size itself as it would in the Pod. */
class ChartJvmTest {
  private static final long MIB = 1024 * 1024;

  @Test
  void readsTheChartsMemoryLimitAndJavaToolOptions() throws Exception {
    Path repo = PlayBenchmark.findRepo();
    String values = Files.readString(repo.resolve("helm/hero-logic/values.yaml"));
    Matcher options = Pattern.compile("(?m)^javaToolOptions: \"([^\"]*)\"").matcher(values);
    assertTrue(options.find(), "values.yaml has a quoted javaToolOptions line");

    ChartJvm chart = ChartJvm.fromChart(repo);

    assertEquals(options.group(1), chart.javaToolOptions());
    assertEquals(Map.of("JAVA_TOOL_OPTIONS", options.group(1)), chart.environment());
    assertTrue(values.contains("memory: " + chart.memoryLimitBytes() / MIB + "Mi"), "the limit in MiB is in values.yaml: " + chart);
    assertEquals("-XX:MaxRAM=" + chart.memoryLimitBytes(), chart.jvmArgs().get(0));
  }

  @Test
  void namesTheCollectorAContainerUnderTheServerClassThresholdWouldGet() {
    assertEquals(List.of("-XX:MaxRAM=" + 768 * MIB, "-XX:+UseSerialGC"), new ChartJvm(768 * MIB, "-XX:MaxRAMPercentage=60.0").jvmArgs());
    assertEquals(List.of("-XX:MaxRAM=" + 2048 * MIB), new ChartJvm(2048 * MIB, "-XX:MaxRAMPercentage=60.0").jvmArgs());
    assertFalse(new ChartJvm(768 * MIB, "-XX:+UseG1GC -XX:MaxRAMPercentage=60.0").jvmArgs().contains("-XX:+UseSerialGC"));
    assertFalse(new ChartJvm(768 * MIB, "-XX:+UseParallelGC").jvmArgs().contains("-XX:+UseSerialGC"));
  }

  /** A real JVM, started with the stand-in's flags and environment, reports the heap and collector of the Pod. */
  @Test
  void aJvmStartedThatWaySizesItsHeapFromTheLimit() throws Exception {
    ChartJvm jvm = new ChartJvm(768 * MIB, "-XX:MaxRAMPercentage=50.0");
    Map<String, String> flags = printFlagsFinal(jvm);
    assertEquals("true", flags.get("UseSerialGC"));
    assertEquals("false", flags.get("UseG1GC"));
    long maxHeap = Long.parseLong(flags.get("MaxHeapSize"));
    // 50% of 768 MiB, rounded by HotSpot to its heap alignment
    assertTrue(Math.abs(maxHeap - 384 * MIB) <= 2 * MIB, "MaxHeapSize " + maxHeap);
  }

  private static Map<String, String> printFlagsFinal(ChartJvm jvm) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvm.jvmArgs());
    command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().putAll(jvm.environment());
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    Map<String, String> flags = new HashMap<>();
    Matcher line = Pattern.compile("(?m)^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S+)").matcher(out);
    while (line.find()) {
      flags.put(line.group(1), line.group(2));
    }
    return flags;
  }
}
