package io.herologic.operator.it;

import io.herologic.testing.DevCluster;
import io.herologic.testing.LocalPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The packaged operator (target/quarkus-app) running as a real process against the test cluster,
 * watching all namespaces. One per test run; tests that need a restart call {@link #restart}.
 */
final class OperatorProcess {
  private static OperatorProcess shared;
  private final DevCluster cluster;
  private final java.nio.file.Path kubeconfig;
  private Process process;
  private Map<String, String> extraEnv = Map.of();
  private int port;
  private int starts;
  private Path log;

  private OperatorProcess(DevCluster cluster, java.nio.file.Path kubeconfig, Map<String, String> env) {
    this.cluster = cluster;
    this.kubeconfig = kubeconfig;
    this.extraEnv = env;
  }

  /**
   * A second operator process with its own credentials (for example a ServiceAccount's token)
   * and environment. Stop the shared one first ({@link #stopForAWhile}): two operators watching
   * the same namespaces would both reconcile every Play.
   */
  static OperatorProcess launch(DevCluster cluster, java.nio.file.Path kubeconfig, Map<String, String> env) {
    OperatorProcess operator = new OperatorProcess(cluster, kubeconfig, env);
    operator.start();
    return operator;
  }

  /** The release name the ITs install the chart's admission policies as. */
  static final String POLICY_RELEASE = "hero-logic-it";

  /**
   * The running operator, started on first use, with the CRDs and the chart's admission policies
   * installed as a real installation has them (watching all namespaces: no unwatched-namespace binding).
   */
  static synchronized OperatorProcess running(DevCluster cluster) {
    if (shared == null) {
      cluster.installCrds();
      cluster.installAdmissionPolicies(POLICY_RELEASE, List.of("--set", "watchAllNamespaces=true"));
      shared = new OperatorProcess(cluster, cluster.kubeconfig(), Map.of());
      shared.start();
      Runtime.getRuntime().addShutdownHook(new Thread(shared::stop));
    }
    return shared;
  }

  /**
   * Runs {@code test} with the shared operator stopped, if one runs: for tests of the API server
   * alone, which write Play status themselves.
   */
  static void withoutOperator(Runnable test) {
    OperatorProcess running;
    synchronized (OperatorProcess.class) {
      running = shared;
    }
    if (running == null) {
      test.run();
      return;
    }
    running.stopForAWhile();
    try {
      test.run();
    } finally {
      running.start();
    }
  }

  /** Stops the operator (SIGTERM, or SIGKILL when {@code kill}) and starts it again with {@code env} added. */
  synchronized void restart(boolean kill, Map<String, String> env) {
    if (kill) {
      process.destroyForcibly();
    } else {
      process.destroy();
    }
    waitForExit();
    extraEnv = env;
    start();
  }

  synchronized void stopForAWhile() {
    process.destroyForcibly();
    waitForExit();
  }

  synchronized void start() {
    String jar = System.getProperty("herologic.operator.jar", "target/quarkus-app/quarkus-run.jar");
    port = LocalPorts.free();
    starts++;
    log = Path.of("target", "operator-" + System.identityHashCode(this) + "-" + starts + ".log");
    Map<String, String> env = new HashMap<>();
    env.put("KUBECONFIG", kubeconfig.toString());
    env.put("QUARKUS_OPERATOR_SDK_NAMESPACES", "JOSDK_ALL_NAMESPACES");
    env.put("HEROLOGIC_SEED_BUILTIN_FLOWS", "false");
    env.put("QUARKUS_HTTP_PORT", String.valueOf(port));
    env.putAll(extraEnv);
    try {
      ProcessBuilder builder = new ProcessBuilder("java", "-Xmx512m", "-jar", jar).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    awaitReady(log);
  }

  int port() {
    return port;
  }

  /**
   * The value of an unlabelled Prometheus series at /q/metrics, such as herologic_log_followers,
   * read with {@code token} (a viewer allowed to get /metrics).
   */
  double metric(String series, String token) {
    try {
      var response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/metrics"))
          .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
      return response.body().lines().filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
          .findFirst().orElseThrow(() -> new IllegalStateException(series + " not in /q/metrics: HTTP " + response.statusCode()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Bytes of heap in use right after a full collection. */
  long heapUsedAfterGc() {
    return io.herologic.operator.bench.Proc.heapUsedAfterGc(process.pid());
  }

  /** What the running (or last) process has logged so far. */
  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitReady(Path log) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the operator exited with " + process.exitValue() + "; see " + log.toAbsolutePath() + ":\n" + tail(log));
      }
      try {
        var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(200);
    }
    throw new IllegalStateException("the operator did not become ready in 60s:\n" + tail(log));
  }

  private void waitForExit() {
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void stop() {
    if (process != null && process.isAlive()) {
      process.destroy();
      waitForExit();
    }
  }

  private static String tail(Path log) {
    try {
      var lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log)";
    }
  }


  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
