package io.herologic.operator.bench;

import io.herologic.testing.DevCluster;
import io.herologic.testing.LocalPorts;
import io.herologic.testing.ServiceAccountKubeconfig;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.herologic.model.Play;
import io.herologic.model.PlayHistory;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark's own devcluster (a fresh STATE_DIR, stopped at the end) and the packaged operator
 * as a process. The operator authenticates as a ServiceAccount (token from the TokenRequest API),
 * as it does in a real cluster: that puts its requests, and only its, in the API server's
 * "service-accounts" flow schema, so the API server's own metrics count them apart from the
 * benchmark's (admin certificate: "exempt"), the node agent's and the controller manager's.
 */
final class BenchCluster implements AutoCloseable {
  static final String OPERATOR_SA = "herologic-operator";
  static final String OPERATOR_FLOW_SCHEMA = "service-accounts";

  final Path repo;
  final Path stateDir;
  final Path outDir;
  final String namespace;
  final OwnRequests own = new OwnRequests();
  private boolean up;
  KubernetesClient admin;
  private Map<String, String> env = Map.of();
  private Process operator;
  private int operatorPort;
  private Path operatorLog;
  private long operatorLogOffset;
  private int operatorStarts;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  BenchCluster(Path repo, Path outDir, String namespace) {
    this.repo = repo;
    this.outDir = outDir;
    this.namespace = namespace;
    this.stateDir = outDir.resolve("devcluster-" + ProcessHandle.current().pid());
  }

  void up() throws IOException {
    up = true;
    DevCluster.run(repo, List.of("make", "-s", "-C", repo.resolve("devcluster").toString(), "up", "STATE_DIR=" + stateDir), 900);
    env = readEnv(stateDir.resolve("env"));
    Config config = Config.fromKubeconfig(Files.readString(stateDir.resolve("kubeconfig")));
    // Deleting 1,000 Plays in one call (BENCH_N=1000) takes longer than the client's default 10 s.
    config.setRequestTimeout(120_000);
    admin = new KubernetesClientBuilder().withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("bench-own-requests", own)).build();
  }

  /** The pid of a devcluster component: KUBE_APISERVER, ETCD, KUBE_CONTROLLER_MANAGER, NODE_AGENT. */
  long pid(String component) {
    String v = env.get("DEVCLUSTER_" + component + "_PID");
    return v == null ? -1 : Long.parseLong(v);
  }

  void installCrdsAndNamespace() throws IOException {
    DevCluster.installCrds(admin, repo);
    admin.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
    // default/default-like: wait for the namespace's default ServiceAccount (Pods need it to be admitted).
    admin.serviceAccounts().inNamespace(namespace).withName("default").waitUntilCondition(sa -> sa != null, 60, TimeUnit.SECONDS);
  }

  /** The operator's identity: a ServiceAccount bound (in the benchmark namespace only) to cluster-admin. */
  Path operatorKubeconfig() throws IOException {
    admin.resource(new ServiceAccountBuilder().withNewMetadata().withName(OPERATOR_SA).withNamespace(namespace).endMetadata().build()).create();
    admin.resource(new RoleBindingBuilder().withNewMetadata().withName(OPERATOR_SA).withNamespace(namespace).endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("ClusterRole").withName("cluster-admin").endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName(OPERATOR_SA).withNamespace(namespace).endSubject().build()).create();
    return ServiceAccountKubeconfig.write(admin, stateDir.resolve("kubeconfig"), namespace, OPERATOR_SA, 4 * 3600L,
        stateDir.resolve("operator.kubeconfig"));
  }

  /**
   * A flow of flows/bench as an inline WorkflowVersion "{name}-v1" and the Workflow {@code name}
   * pinned to it. It keeps up to 10,000 finished Plays of each kind, so retention (100 by default)
   * never deletes Plays a benchmark is still measuring, nor adds its deletes to the requests counted.
   */
  void createBenchWorkflow(String name, String file) throws IOException {
    WorkflowVersion version = new WorkflowVersion();
    version.getMetadata().setName(name + "-v1");
    version.getMetadata().setNamespace(namespace);
    version.getSpec().setWorkflow(name);
    version.getSpec().setSource(Files.readString(repo.resolve("flows/bench").resolve(file)));
    admin.resource(version).create();
    Workflow workflow = new Workflow();
    workflow.getMetadata().setName(name);
    workflow.getMetadata().setNamespace(namespace);
    workflow.getSpec().setCurrentVersion(name + "-v1");
    workflow.getSpec().setHistory(new PlayHistory(10_000, 10_000));
    admin.resource(workflow).create();
  }

  /** Waits until the operator has marked the Workflow ready (its version parsed); throws after {@code seconds}. */
  void awaitWorkflowReady(String name, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      Workflow w = admin.resources(Workflow.class).inNamespace(namespace).withName(name).get();
      if (w != null && w.getStatus() != null && Boolean.TRUE.equals(w.getStatus().getReady())) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("Workflow " + name + " did not become ready within " + seconds + " s; see " + operatorLog);
  }

  /** The Play once its phase is final; throws after {@code seconds}. */
  Play awaitPlayFinal(String name, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      Play p = admin.resources(Play.class).inNamespace(namespace).withName(name).get();
      if (p != null && p.getStatus() != null && p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal()) {
        return p;
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("Play " + name + " was not final within " + seconds + " s; see " + operatorLog);
  }

  /**
   * Starts quarkus-run.jar with the JVM the benchmark runs on and a fixed heap ({@code -Xmx}): the
   * benchmarks that compare runs over time keep their heap (PlayBenchmark 384 MiB, ChaosSuite 460 MiB)
   * whatever the chart says. A later start (after {@link #killOperator}) appends to the same
   * operator.log, after a line that says so.
   */
  void startOperator(Path kubeconfig, String heap) throws IOException, InterruptedException {
    startOperator(kubeconfig, List.of("-Xmx" + heap), Map.of());
  }

  /**
   * Starts quarkus-run.jar as the Helm chart would run it: the container's memory limit as MaxRAM
   * and the chart's JAVA_TOOL_OPTIONS ({@link ChartJvm}), so the JVM sizes its heap and picks its
   * collector as it would in the Pod.
   */
  void startOperator(Path kubeconfig, ChartJvm jvm) throws IOException, InterruptedException {
    startOperator(kubeconfig, jvm.jvmArgs(), jvm.environment());
  }

  private void startOperator(Path kubeconfig, List<String> jvmArgs, Map<String, String> jvmEnv)
      throws IOException, InterruptedException {
    Path jar = repo.resolve("operator/target/quarkus-app/quarkus-run.jar");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run `make build` first");
    }
    operatorPort = LocalPorts.free();
    operatorLog = outDir.resolve("operator.log");
    if (operatorStarts++ == 0) {
      Files.deleteIfExists(operatorLog);
    } else {
      Files.writeString(operatorLog, "\n# ---- operator start " + operatorStarts + " at " + Instant.now() + " ----\n",
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    operatorLogOffset = Files.exists(operatorLog) ? Files.size(operatorLog) : 0;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(jvmArgs);
    command.addAll(List.of("-jar", jar.toString()));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(operatorLog.toFile()));
    Map<String, String> e = new HashMap<>();
    e.put("KUBECONFIG", kubeconfig.toString());
    e.put("QUARKUS_OPERATOR_SDK_NAMESPACES", namespace);
    e.put("HEROLOGIC_SEED_NAMESPACES", namespace);
    e.put("QUARKUS_HTTP_PORT", String.valueOf(operatorPort));
    e.put("HEROLOGIC_UI_AUTH", "none"); // the benchmark scrapes /q/metrics without a token; it measures Plays, not the UI's checks
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().putAll(e);
    builder.environment().putAll(jvmEnv);
    operator = builder.start();
    // 180 s: on a loaded machine listing 5,000 finished Plays (make bench-memory) has taken over 120 s.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!operator.isAlive()) {
        throw new IllegalStateException("the operator exited with " + operator.exitValue() + "; see " + operatorLog);
      }
      try {
        if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operatorPort + "/q/health/ready"))
            .timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the operator was not ready within 180 s; see " + operatorLog);
  }

  int operatorPort() {
    return operatorPort;
  }

  long operatorPid() {
    return operator.pid();
  }

  /** Whether the operator process started last is still running. */
  boolean operatorAlive() {
    return operator != null && operator.isAlive();
  }

  /** SIGKILLs the operator (no shutdown hook runs) and waits until it is gone. */
  void killOperator() throws InterruptedException {
    operator.destroyForcibly(); // Process.destroyForcibly is SIGKILL on Linux
    if (!operator.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the operator (pid " + operator.pid() + ") survived SIGKILL for 30 s");
    }
  }

  /**
   * Restarts one devcluster component in place (`devcluster restart`: same ports, certificates and
   * data) and returns once it serves again; its new pid is then what {@link #pid} returns.
   */
  void restartComponent(String component) throws IOException {
    DevCluster.run(repo, List.of(repo.resolve("devcluster/bin/devcluster").toString(), "restart",
        "--component=" + component, "--state-dir=" + stateDir), 180);
    env = readEnv(stateDir.resolve("env"));
  }

  /** The operator's /q/metrics page. */
  String operatorMetrics() throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + operatorPort + "/q/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  Path operatorLog() {
    return operatorLog;
  }

  /** Where in {@link #operatorLog} the output of the operator started last begins. */
  long operatorLogOffset() {
    return operatorLogOffset;
  }

  void stopOperator() {
    if (operator != null && operator.isAlive()) {
      operator.destroy();
      try {
        if (!operator.waitFor(20, TimeUnit.SECONDS)) {
          operator.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stopOperator();
    if (admin != null) {
      admin.close();
    }
    if (up && !"1".equals(System.getenv("BENCH_KEEP_CLUSTER"))) {
      try {
        DevCluster.run(repo, List.of("make", "-s", "-C", repo.resolve("devcluster").toString(), "down", "STATE_DIR=" + stateDir), 180);
      } catch (RuntimeException e) {
        System.err.println("devcluster down failed: " + e.getMessage());
      }
    }
  }

  /**
   * The niceness the node agent runs the Pods' processes at (devcluster's --pod-nice, taken from
   * DEVCLUSTER_POD_NICE): above 0, the flows take CPU from the control plane, the operator and the
   * benchmark only when those leave it idle, as on a cluster whose flows run on nodes of their own.
   */
  String podNice() {
    return env.getOrDefault("DEVCLUSTER_POD_NICE", "0");
  }

  private static Map<String, String> readEnv(Path file) throws IOException {
    Map<String, String> m = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      if (line.startsWith("#") || eq < 0) {
        continue;
      }
      String v = line.substring(eq + 1);
      if (v.startsWith("'") && v.endsWith("'") && v.length() >= 2) {
        v = v.substring(1, v.length() - 1);
      }
      m.put(line.substring(0, eq), v);
    }
    return m;
  }


}
