package io.herologic.operator.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.testing.DevCluster;
import io.herologic.testing.LocalPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A real Jaeger v2 all-in-one (in-memory storage) as a local process, built by
 * {@code make -C devcluster jaeger} and configured by {@code devcluster/jaeger/config.yaml} to listen
 * on loopback only, at ports picked here. Stopping and starting it again keeps its ports (a collector
 * that was down for a while), not its traces.
 */
final class JaegerProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path binary;
  private final Path config;
  private final Path log;
  private final int otlpHttp = LocalPorts.free();
  private final int otlpGrpc = LocalPorts.free();
  private final int queryHttp = LocalPorts.free();
  private final int queryGrpc = LocalPorts.free();
  private final HttpClient http = HttpClient.newHttpClient();
  private Process process;
  private int starts;

  private JaegerProcess(Path repoRoot) {
    Path devcluster = repoRoot.resolve("devcluster");
    DevCluster.run(repoRoot, List.of("make", "-s", "-C", devcluster.toString(), "jaeger"), 1800);
    this.binary = Path.of(output(repoRoot, List.of("make", "-s", "-C", devcluster.toString(), "jaeger-path")).strip());
    this.config = devcluster.resolve("jaeger/config.yaml");
    this.log = Path.of("target", "jaeger-" + System.identityHashCode(this));
  }

  static JaegerProcess start(Path repoRoot) {
    JaegerProcess jaeger = new JaegerProcess(repoRoot);
    jaeger.start();
    return jaeger;
  }

  /** The base URL of its OTLP/HTTP receiver, as the operator's herologic.otlp.endpoint. */
  String otlpHttpEndpoint() {
    return "http://127.0.0.1:" + otlpHttp;
  }

  String otlpGrpcEndpoint() {
    return "http://127.0.0.1:" + otlpGrpc;
  }

  synchronized void start() {
    starts++;
    try {
      ProcessBuilder builder = new ProcessBuilder(binary.toString(), "--config", config.toString())
          .redirectErrorStream(true).redirectOutput(Path.of(log + "-" + starts + ".log").toFile());
      builder.environment().put("JAEGER_OTLP_HTTP_PORT", String.valueOf(otlpHttp));
      builder.environment().put("JAEGER_OTLP_GRPC_PORT", String.valueOf(otlpGrpc));
      builder.environment().put("JAEGER_QUERY_HTTP_PORT", String.valueOf(queryHttp));
      builder.environment().put("JAEGER_QUERY_GRPC_PORT", String.valueOf(queryGrpc));
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Awaitility.await("Jaeger answering on 127.0.0.1:" + queryHttp).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().until(() -> get("/api/services").statusCode() == 200);
  }

  synchronized void stop() {
    if (process != null) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  /**
   * The spans of a trace as Jaeger's query API returns them, raw (without the adjusters that would
   * hide a span stored twice); empty when Jaeger has none.
   */
  List<JsonNode> spans(String traceId) {
    JsonNode trace = trace(traceId);
    return trace == null ? List.of() : List.copyOf(toList(trace.path("spans")));
  }

  /** The trace (data[0] of /api/traces/{id}): spans and processes, or null. */
  JsonNode trace(String traceId) {
    HttpResponse<String> response = get("/api/traces/" + traceId + "?raw=true");
    if (response.statusCode() == 404) {
      return null;
    }
    try {
      JsonNode data = JSON.readTree(response.body()).path("data");
      return data.isArray() && !data.isEmpty() ? data.get(0) : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<JsonNode> toList(JsonNode array) {
    List<JsonNode> out = new java.util.ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + queryHttp + path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String output(Path dir, List<String> command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stop();
  }
}
