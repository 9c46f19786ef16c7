package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The operator's memory with many finished Plays in its namespace (issue 13, outcome 3): creates
 * BENCH_FINISHED_PLAYS finished Plays (default 5,000; BENCH_LARGE_PLAYS of them, default 500, with
 * BENCH_LARGE_SPANS = 2,000 spans, the rest with 10) directly through the API, their status written
 * by this client (no Pods), then starts the operator and reports how long it took to be ready, its
 * resident memory (now and peak) and its heap after a full GC; then reads one large Play through the
 * UI's API to show its tree is still served whole. Also records each kind's stored size (the JSON
 * the API server returns, managedFields included: what etcd holds, near enough). Adds a "memory"
 * section to target/bench/results.json (keeping what {@link PlayBenchmark} wrote) and prints a table.
 */
public final class MemoryBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String NS = "bench-memory";
  private static final String HEAP = "384m";
  private static final long START = System.nanoTime();

  private final int plays = intEnv("BENCH_FINISHED_PLAYS", 5000);
  private final int large = intEnv("BENCH_LARGE_PLAYS", 500);
  private final int largeSpans = intEnv("BENCH_LARGE_SPANS", 2000);
  private final int smallSpans = 10;
  private final int concurrency = intEnv("BENCH_CONCURRENCY", 4);
  private final Path repo;
  private final Path out;

  private MemoryBenchmark(Path repo) {
    this.repo = repo;
    this.out = repo.resolve("target/bench");
  }

  public static void main(String[] args) {
    int code = 0;
    try {
      new MemoryBenchmark(PlayBenchmark.findRepo()).run();
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  private void run() throws Exception {
    Files.createDirectories(out);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("started_at", Instant.now().toString());
    result.put("settings", Map.of("finished_plays", plays, "large_plays", large, "large_spans", largeSpans, "small_spans", smallSpans,
        "operator_heap", HEAP, "namespace", NS));
    try (BenchCluster c = new BenchCluster(repo, out, NS)) {
      say("starting devcluster in " + c.stateDir);
      c.up();
      c.installCrdsAndNamespace();
      Path kubeconfig = c.operatorKubeconfig();

      result.put("load_average_before", Proc.loadAverage());
      say("creating " + plays + " finished Plays (" + large + " of " + largeSpans + " spans), " + concurrency + " at a time");
      FinishedPlays.keepingAll(c.admin, NS, "bench");
      long createStart = System.nanoTime();
      try (KubernetesClient patient = patientClient(c)) {
        createAll(patient);
      }
      result.put("create_s", round((System.nanoTime() - createStart) / 1e9));
      result.put("stored_bytes", Map.of("small_" + smallSpans + "_spans", storedBytes(c, name(large)),
          "large_" + largeSpans + "_spans", storedBytes(c, name(0))));

      result.put("load_average_before_operator", Proc.loadAverage());
      say("starting the operator, log " + out.resolve("operator.log"));
      long startAt = System.nanoTime();
      c.startOperator(kubeconfig, HEAP);
      double toReady = (System.nanoTime() - startAt) / 1e9;
      long pid = c.operatorPid();
      Map<String, Object> operator = new LinkedHashMap<>();
      operator.put("start_to_ready_s", round(toReady));
      operator.put("rss_mib_at_ready", mib(Proc.status(pid, "VmRSS") * 1024));
      operator.put("peak_rss_mib_to_ready", mib(Proc.status(pid, "VmHWM") * 1024));
      Thread.sleep(10_000); // the reconciles of every finished Play (history limits, time to live) settle
      operator.put("rss_mib_settled", mib(Proc.status(pid, "VmRSS") * 1024));
      operator.put("peak_rss_mib", mib(Proc.status(pid, "VmHWM") * 1024));
      operator.put("heap_mib_after_gc", mib(Proc.heapUsedAfterGc(pid)));
      operator.put("rss_mib_after_gc", mib(Proc.status(pid, "VmRSS") * 1024)); // G1 may give heap back after a full GC
      operator.put("threads", Proc.status(pid, "Threads"));
      operator.put("cpu_s", round(Proc.cpu(pid).self()));
      result.put("operator", operator);
      result.put("load_average_end", Proc.loadAverage());
      result.put("large_play_served_by_ui", uiDetail(c, name(0)));
      result.put("targets", Map.of(
          "rss_le_512_mib", ((Number) operator.get("peak_rss_mib")).doubleValue() <= 512,
          "start_to_ready_le_30_s", toReady <= 30));
    } finally {
      write(result);
    }
    print(result);
  }

  private String name(int i) {
    return String.format(Locale.ROOT, "%s-%05d", i < large ? "large" : "small", i);
  }

  /**
   * The admin client with a long request timeout: on a loaded machine writing a 600 KB status can
   * take longer than the client's default 10 s, and a benchmark should wait rather than fail.
   */
  private static KubernetesClient patientClient(BenchCluster c) throws Exception {
    Config config = Config.fromKubeconfig(Files.readString(c.stateDir.resolve("kubeconfig")));
    config.setRequestTimeout(180_000);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  private void createAll(KubernetesClient client) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    AtomicInteger done = new AtomicInteger();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < plays; i++) {
        int index = i;
        futures.add(pool.submit(() -> {
          FinishedPlays.create(client, NS, name(index), "bench", index < large ? largeSpans : smallSpans);
          int n = done.incrementAndGet();
          if (n % 500 == 0) {
            say(n + " created");
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** The Play's size as the API server returns it (JSON, managedFields included). */
  private static long storedBytes(BenchCluster c, String name) {
    String path = "/apis/herologic.io/v1alpha1/namespaces/" + NS + "/plays/" + name;
    return c.admin.raw(path).getBytes(StandardCharsets.UTF_8).length;
  }

  /** Reads a large finished Play through the UI's API (auth off in the benchmark): its spans and the time it took. */
  private Map<String, Object> uiDetail(BenchCluster c, String name) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    URI uri = URI.create("http://127.0.0.1:" + c.operatorPort() + "/api/v1/namespaces/" + NS + "/plays/" + name);
    long t0 = System.nanoTime();
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    double first = (System.nanoTime() - t0) / 1e6;
    long t1 = System.nanoTime();
    http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding());
    double again = (System.nanoTime() - t1) / 1e6;
    JsonNode body = JSON.readTree(response.body());
    int spans = body.path("spans").size();
    if (response.statusCode() != 200 || spans != largeSpans) {
      throw new IllegalStateException("the UI served " + spans + " spans of " + name + " (HTTP " + response.statusCode() + "), expected " + largeSpans);
    }
    return Map.of("spans", spans, "first_read_ms", round(first), "second_read_ms", round(again));
  }

  private void write(Map<String, Object> result) throws Exception {
    Path file = out.resolve("results.json");
    ObjectNode all = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
    all.set("memory", JSON.valueToTree(result));
    Files.writeString(file, JSON.writeValueAsString(all));
    say("wrote the \"memory\" section of " + file);
  }

  @SuppressWarnings("unchecked")
  private void print(Map<String, Object> r) {
    Map<String, Object> op = (Map<String, Object>) r.get("operator");
    Map<String, Object> stored = (Map<String, Object>) r.get("stored_bytes");
    Map<String, Object> ui = (Map<String, Object>) r.get("large_play_served_by_ui");
    System.out.printf(Locale.ROOT, "%n%-52s %s%n", "load average (before creating / before operator / end)",
        r.get("load_average_before") + " / " + r.get("load_average_before_operator") + " / " + r.get("load_average_end"));
    System.out.printf(Locale.ROOT, "%-52s %s%n", "finished Plays in the namespace", plays + " (" + large + " of " + largeSpans + " spans, "
        + (plays - large) + " of " + smallSpans + ")");
    row("stored size of a " + smallSpans + "-span Play (bytes)", stored.get("small_" + smallSpans + "_spans"));
    row("stored size of a " + largeSpans + "-span Play (bytes)", stored.get("large_" + largeSpans + "_spans"));
    row("operator start to ready (s)    [goal <= 30]", op.get("start_to_ready_s"));
    row("operator RSS at ready (MiB)", op.get("rss_mib_at_ready"));
    row("operator peak RSS (MiB)        [goal <= 512]", op.get("peak_rss_mib"));
    row("operator RSS settled (MiB)", op.get("rss_mib_settled"));
    row("operator heap after full GC (MiB)", op.get("heap_mib_after_gc"));
    row("operator RSS after that GC (MiB)", op.get("rss_mib_after_gc"));
    row("operator threads", op.get("threads"));
    row("UI: large Play's spans served", ui.get("spans"));
    row("UI: first read / cached read (ms)", ui.get("first_read_ms") + " / " + ui.get("second_read_ms"));
  }

  private static void row(String label, Object value) {
    System.out.printf(Locale.ROOT, "%-52s %s%n", label, value);
  }

  private static double mib(long bytes) {
    return round(bytes / 1048576.0);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }

  private static void say(String text) {
    System.out.printf(Locale.ROOT, "[bench-memory %6.1fs] %s%n", (System.nanoTime() - START) / 1e9, text);
  }
}
