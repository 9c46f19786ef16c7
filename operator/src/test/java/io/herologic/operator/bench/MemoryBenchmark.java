package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's memory with many finished Plays in its namespace (issue 13, outcome 3): creates
 * BENCH_FINISHED_PLAYS finished Plays (default 5,000; BENCH_LARGE_PLAYS of them, default 500, with
 * BENCH_LARGE_SPANS = 2,000 spans, the rest with 10) directly through the API, their status written
 * by this client (no Pods), then starts the operator as the Helm chart would run it ({@link ChartJvm}:
 * the chart's memory limit and javaToolOptions) and reports how long it took to be ready and where
 * that time went (from the operator log), the JVM's effective collector and heap, its resident
 * memory (at ready, settled, peak) and its heap after a full GC; then reads one large Play through
 * the UI's API to show its tree is still served whole. BENCH_JVM_CANDIDATES measures other settings
 * against the same Plays, one operator start each. Also records each kind's stored size (the JSON
 * the API server returns, managedFields included: what etcd holds, near enough). Adds a "memory"
 * section to target/bench/results.json (keeping what {@link PlayBenchmark} wrote) and prints a table.
 */
public final class MemoryBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String NS = "bench-memory";
  /** The JVM flags recorded with each run (jcmd VM.flags -all), the collector's among them. */
  private static final List<String> FLAGS = List.of("UseSerialGC", "UseParallelGC", "UseG1GC", "UseZGC", "UseShenandoahGC",
      "MaxHeapSize", "InitialHeapSize", "MaxRAM", "MaxRAMPercentage", "MaxMetaspaceSize", "ReservedCodeCacheSize",
      "TieredStopAtLevel", "ThreadStackSize", "MaxDirectMemorySize", "UseStringDeduplication", "CICompilerCount");
  /** Log lines that mark the operator's start-up (Quarkus's default log format begins with the time). */
  private static final Pattern LOG_LINE = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}) +\\S+ +\\[[^]]*] \\([^)]*\\) (.*)$");
  private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss,SSS");
  private static final long START = System.nanoTime();

  private final int plays = intEnv("BENCH_FINISHED_PLAYS", 5000);
  private final int large = intEnv("BENCH_LARGE_PLAYS", 500);
  private final int largeSpans = intEnv("BENCH_LARGE_SPANS", 2000);
  private final int smallSpans = 10;
  private final int concurrency = intEnv("BENCH_CONCURRENCY", 4);
  private final Path repo;
  private final Path out;
  private final ChartJvm chart;
  /**
   * The JVM settings to measure, one operator start each against the same Plays: the chart's own
   * (default), or BENCH_JVM_CANDIDATES, JAVA_TOOL_OPTIONS strings separated by "|" under the chart's
   * memory limit ("chart" stands for the chart's javaToolOptions). The first is the one the goals
   * are checked against.
   */
  private final List<ChartJvm> candidates;

  private MemoryBenchmark(Path repo) throws IOException {
    this.repo = repo;
    this.out = repo.resolve("target/bench");
    this.chart = ChartJvm.fromChart(repo);
    String list = System.getenv("BENCH_JVM_CANDIDATES");
    this.candidates = list == null || list.isBlank() ? List.of(chart)
        : Arrays.stream(list.split("\\|")).map(String::trim).map(o -> o.equals("chart") ? chart : chart.withOptions(o)).toList();
  }

  public static void main(String[] args) {
    BenchMain.runAndExit(() -> new MemoryBenchmark(PlayBenchmark.findRepo()).run());
  }

  private void run() throws Exception {
    Files.createDirectories(out);
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("started_at", Instant.now().toString());
    result.put("settings", Map.of("finished_plays", plays, "large_plays", large, "large_spans", largeSpans, "small_spans", smallSpans,
        "chart_jvm", chart.toString(), "namespace", NS));
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

      // Every run is kept in results.json as it ends, a failed one (not ready in time, say) with its error.
      List<Map<String, Object>> runs = new ArrayList<>();
      if (candidates.size() > 1) {
        result.put("candidates", runs);
      }
      for (ChartJvm jvm : candidates) {
        Map<String, Object> run = new LinkedHashMap<>();
        runs.add(run);
        try {
          measureOperator(c, kubeconfig, jvm, run);
        } catch (Exception e) {
          run.put("error", e.toString());
          say("failed: " + e);
          e.printStackTrace(System.out);
        } finally {
          c.stopOperator();
        }
      }
      result.put("load_average_end", Proc.loadAverage());
      Map<String, Object> operator = runs.get(0);
      result.put("operator", operator);
      if (operator.containsKey("error")) {
        throw new IllegalStateException("the operator with the chart's settings failed: " + operator.get("error"));
      }
      result.put("large_play_served_by_ui", operator.get("large_play_served_by_ui"));
      result.put("targets", Map.of(
          "rss_le_512_mib", ((Number) operator.get("peak_rss_mib")).doubleValue() <= 512,
          "start_to_ready_le_30_s", ((Number) operator.get("start_to_ready_s")).doubleValue() <= 30));
    } finally {
      write(result);
    }
    print(result);
  }

  /** Starts the operator with {@code jvm}, measures its start-up and memory, reads a large Play through the UI. */
  private void measureOperator(BenchCluster c, Path kubeconfig, ChartJvm jvm, Map<String, Object> operator) throws Exception {
    operator.put("jvm", jvm.toString());
    operator.put("jvm_args", String.join(" ", jvm.jvmArgs()));
    operator.put("load_average_before", Proc.loadAverage());
    say("starting the operator (" + jvm + "), log " + out.resolve("operator.log"));
    Instant startedAt = Instant.now();
    long startAt = System.nanoTime();
    c.startOperator(kubeconfig, jvm);
    double toReady = (System.nanoTime() - startAt) / 1e9;
    long pid = c.operatorPid();
    operator.put("start_to_ready_s", round(toReady));
    operator.put("rss_mib_at_ready", mib(Proc.status(pid, "VmRSS") * 1024));
    operator.put("peak_rss_mib_to_ready", mib(Proc.status(pid, "VmHWM") * 1024));
    operator.put("flags", Proc.vmFlags(pid, FLAGS));
    Thread.sleep(10_000); // the reconciles of every finished Play (history limits, time to live) settle
    operator.put("rss_mib_settled", mib(Proc.status(pid, "VmRSS") * 1024));
    operator.put("heap_mib_after_gc", mib(Proc.heapUsedAfterGc(pid)));
    operator.put("rss_mib_after_gc", mib(Proc.status(pid, "VmRSS") * 1024)); // G1 may give heap back after a full GC
    operator.put("metaspace_committed_mib", mib(Proc.metaspaceCommittedKib(pid) * 1024));
    operator.put("code_cache_used_mib", mib(Proc.codeCacheUsedKib(pid) * 1024));
    operator.put("large_play_served_by_ui", uiDetail(c, name(0)));
    operator.put("peak_rss_mib", mib(Proc.status(pid, "VmHWM") * 1024)); // after the UI's read of a 2,000-span Play too
    operator.put("threads", Proc.status(pid, "Threads"));
    operator.put("cpu_s", round(Proc.cpu(pid).self()));
    operator.put("start_up", startUpTimeline(c.operatorLog(), c.operatorLogOffset(), startedAt, toReady));
    operator.put("load_average_after", Proc.loadAverage());
    say("peak RSS " + operator.get("peak_rss_mib") + " MiB, ready in " + operator.get("start_to_ready_s") + " s");
  }

  /**
   * Where the start-up time went, in seconds from the process start, from the operator log's
   * timestamps: the first line (the JVM up and Quarkus logging), the Play informer's list (from
   * the 'play' controller's start to its sync), Quarkus's "started in" (boot done), the last line
   * before ready, and ready itself.
   */
  private static Map<String, Object> startUpTimeline(Path log, long from, Instant startedAt, double ready) throws IOException {
    Map<String, Object> timeline = new LinkedHashMap<>();
    String text;
    try (var in = Files.newInputStream(log)) {
      in.skipNBytes(from);
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Instant readyAt = startedAt.plusMillis(Math.round(ready * 1000));
    String last = null;
    for (String line : text.split("\n")) {
      Matcher m = LOG_LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      Instant at = LocalDateTime.parse(m.group(1), LOG_TIME).atZone(ZoneId.systemDefault()).toInstant();
      if (at.isAfter(readyAt)) {
        break;
      }
      double s = round(Duration.between(startedAt, at).toMillis() / 1000.0);
      timeline.putIfAbsent("first_log_line_s", s);
      // JOSDK starts a controller's informer, lists every Play page by page, and says "started" once it has synced.
      if (m.group(2).startsWith("Starting 'play' controller")) {
        timeline.put("play_list_from_s", s);
      }
      if (m.group(2).equals("'play' controller started")) {
        timeline.put("play_list_to_s", s);
      }
      if (m.group(2).contains(" started in ")) {
        timeline.put("quarkus_started_s", s);
      }
      last = s + " " + m.group(2);
    }
    timeline.put("last_line_before_ready", last);
    timeline.put("ready_s", round(ready));
    return timeline;
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
    System.out.printf(Locale.ROOT, "%n%-52s %s%n", "load average (before creating / end)",
        r.get("load_average_before") + " / " + r.get("load_average_end"));
    System.out.printf(Locale.ROOT, "%-52s %s%n", "finished Plays in the namespace", plays + " (" + large + " of " + largeSpans + " spans, "
        + (plays - large) + " of " + smallSpans + ")");
    row("stored size of a " + smallSpans + "-span Play (bytes)", stored.get("small_" + smallSpans + "_spans"));
    row("stored size of a " + largeSpans + "-span Play (bytes)", stored.get("large_" + largeSpans + "_spans"));
    row("operator start to ready (s)    [goal <= 30]", op.get("start_to_ready_s"));
    row("operator JVM (chart)", op.get("jvm"));
    operatorRows(op);
    row("UI: large Play's spans served", ui.get("spans"));
    row("UI: first read / cached read (ms)", ui.get("first_read_ms") + " / " + ui.get("second_read_ms"));
    List<Map<String, Object>> runs = (List<Map<String, Object>>) r.get("candidates");
    if (runs != null) {
      for (int i = 1; i < runs.size(); i++) {
        Map<String, Object> run = runs.get(i);
        System.out.printf(Locale.ROOT, "%ncandidate %d: %s%n", i, run.get("jvm"));
        if (run.containsKey("error")) {
          row("  failed", run.get("error"));
          continue;
        }
        row("  operator start to ready (s)", run.get("start_to_ready_s"));
        operatorRows(run);
        row("  UI: first read / cached read (ms)", ((Map<String, Object>) run.get("large_play_served_by_ui")).get("first_read_ms")
            + " / " + ((Map<String, Object>) run.get("large_play_served_by_ui")).get("second_read_ms"));
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static void operatorRows(Map<String, Object> op) {
    Map<String, Object> flags = (Map<String, Object>) op.get("flags");
    String gc = flags.entrySet().stream().filter(f -> f.getKey().endsWith("GC") && "true".equals(f.getValue()))
        .map(Map.Entry::getKey).findFirst().orElse("?");
    row("  effective GC / MaxHeapSize (MiB)", gc + " / " + mib(Long.parseLong(String.valueOf(flags.get("MaxHeapSize")))));
    row("  start-up (s): first log line / Play list / Quarkus started", timeline(op, "first_log_line_s") + " / "
        + timeline(op, "play_list_from_s") + "-" + timeline(op, "play_list_to_s") + " / " + timeline(op, "quarkus_started_s"));
    row("  operator RSS at ready (MiB)", op.get("rss_mib_at_ready"));
    row("  operator peak RSS (MiB)      [goal <= 512]", op.get("peak_rss_mib"));
    row("  operator RSS settled (MiB)", op.get("rss_mib_settled"));
    row("  operator heap after full GC (MiB)", op.get("heap_mib_after_gc"));
    row("  operator RSS after that GC (MiB)", op.get("rss_mib_after_gc"));
    row("  metaspace committed / code cache used (MiB)", op.get("metaspace_committed_mib") + " / " + op.get("code_cache_used_mib"));
    row("  operator threads / CPU (s)", op.get("threads") + " / " + op.get("cpu_s"));
    row("  load average before / after", op.get("load_average_before") + " / " + op.get("load_average_after"));
  }

  @SuppressWarnings("unchecked")
  private static Object timeline(Map<String, Object> op, String key) {
    return ((Map<String, Object>) op.get("start_up")).get(key);
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
