package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The JVM the Helm chart gives the operator, reproduced outside a container: the chart's memory
 * limit ({@code resources.limits.memory}) and {@code javaToolOptions} from helm/hero-logic/values.yaml.
 *
 * <p>In a container the JVM sizes itself from the cgroup limit; here {@code -XX:MaxRAM=<limit>} does
 * that for the heap (MaxRAMPercentage applies to it). It does not move the GC choice: HotSpot picks
 * G1 only on a "server class machine" (2+ CPUs and 1,792 MiB+ of physical memory, which MaxRAM does
 * not change), so under a smaller limit a container gets SerialGC while this 24 GiB machine would
 * pick G1. When the options name no collector, {@link #jvmArgs} names the container's choice.
 *
 * @param memoryLimitBytes the container's memory limit
 * @param javaToolOptions the JAVA_TOOL_OPTIONS the chart sets (may be empty)
 */
record ChartJvm(long memoryLimitBytes, String javaToolOptions) {
  /** HotSpot's server-class threshold (os::is_server_class_machine: 2 GiB less 256 MiB of slack). */
  static final long SERVER_CLASS_BYTES = 1792L * 1024 * 1024;

  /** The chart's defaults. */
  static ChartJvm fromChart(Path repo) throws IOException {
    JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(repo.resolve("helm/hero-logic/values.yaml").toFile());
    String limit = values.path("resources").path("limits").path("memory").asText("");
    if (limit.isEmpty()) {
      throw new IllegalStateException("helm/hero-logic/values.yaml sets no resources.limits.memory: nothing to size the operator's JVM from");
    }
    return new ChartJvm(Quantity.getAmountInBytes(new Quantity(limit)).longValueExact(), values.path("javaToolOptions").asText(""));
  }

  /** The same memory limit with other JAVA_TOOL_OPTIONS (a candidate setting). */
  ChartJvm withOptions(String options) {
    return new ChartJvm(memoryLimitBytes, options);
  }

  /** Command-line flags that stand in for the container (JAVA_TOOL_OPTIONS is passed as it is, in the environment). */
  List<String> jvmArgs() {
    List<String> args = new ArrayList<>();
    args.add("-XX:MaxRAM=" + memoryLimitBytes);
    if (!namesCollector() && memoryLimitBytes < SERVER_CLASS_BYTES) {
      args.add("-XX:+UseSerialGC");
    }
    return args;
  }

  /** The environment the chart's Deployment gives the container. */
  Map<String, String> environment() {
    return javaToolOptions.isBlank() ? Map.of() : Map.of("JAVA_TOOL_OPTIONS", javaToolOptions);
  }

  private boolean namesCollector() {
    return javaToolOptions.matches(".*-XX:\\+Use\\w*GC\\b.*");
  }

  @Override
  public String toString() {
    return "memory limit " + memoryLimitBytes / (1024 * 1024) + " MiB, JAVA_TOOL_OPTIONS=\"" + javaToolOptions + "\"";
  }
}
