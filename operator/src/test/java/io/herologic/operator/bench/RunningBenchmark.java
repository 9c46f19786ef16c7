package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Many Plays running at once (issue 13, outcome 2), and an agent-sized Play's stored size (outcome 3).
 *
 * <p>On a devcluster of its own, with the operator at the Helm chart's heap: first a 10-span hello and
 * one real run of the built-in agent ({@link AgentTrace}; BENCH_AGENT=0 skips it), whose stored sizes
 * sit beside the 10,000-span Play of {@code make bench} (from its results.json). Then BENCH_RUNNING_N (500) Plays of
 * flows/bench/running_spans.py (20 spans over 60 s, one every 3 s), created 8 at a time, while a
 * sampler reads every second the operator's RSS and threads, how many Plays and Pods are running and
 * the machine's available memory. Reports how many ran at once (exactly, from the watch's
 * timestamps), the operator's peak RSS and its RSS while the most ran, its heap after a full GC, its
 * peak thread count, span end → status latency ({@link SpanArrivals}), Play → Succeeded, and API
 * writes per Play. Nothing is asserted: it prints a table with the goals beside the values and adds
 * "running" and "stored" to target/bench/results.json, keeping the other sections.
 *
 * <p>When the machine's available memory falls below BENCH_MIN_AVAILABLE_MIB (2048) the benchmark
 * stops creating Plays and deletes them, and says so, rather than let the machine swap or kill.
 */
public final class RunningBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String NS = "bench-running";
  private static final String WORKFLOW = "running-spans";
  private static final long START = System.nanoTime();
  private static final double RSS_GOAL_MIB = 600;
  private static final double LATENCY_GOAL_MS = 1000;
  private static final int THREADS_ADDED_GOAL = 64;

  private final int n = intEnv("BENCH_RUNNING_N", 500);
  private final int spans = intEnv("BENCH_RUNNING_SPANS", 20);
  private final int seconds = intEnv("BENCH_RUNNING_SECONDS", 60);
  private final int concurrency = intEnv("BENCH_CONCURRENCY", 8);
  private final int timeoutSeconds = intEnv("BENCH_RUNNING_TIMEOUT", 1200);
  private final long minAvailableMib = intEnv("BENCH_MIN_AVAILABLE_MIB", 2048);
  private final boolean agent = intEnv("BENCH_AGENT", 1) == 1;
  private final Path repo;
  private final Path out;
  private final ChartJvm chart;

  private RunningBenchmark(Path repo) throws java.io.IOException {
    this.chart = ChartJvm.fromChart(repo);
    this.repo = repo;
    this.out = repo.resolve("target/bench");
  }

  public static void main(String[] args) {
    BenchMain.runAndExit(() -> new RunningBenchmark(PlayBenchmark.findRepo()).run());
  }

  private void run() throws Exception {
    Files.createDirectories(out);
    Map<String, Object> running = new LinkedHashMap<>();
    Map<String, Object> stored = new LinkedHashMap<>();
    running.put("started_at", Instant.now().toString());
    running.put("machine", Proc.machine(repo));
    running.put("settings", Map.of("plays", n, "spans_per_play", spans, "seconds_per_play", seconds, "create_concurrency", concurrency,
        "operator_jvm", chart.toString(), "namespace", NS, "min_available_mib", minAvailableMib));
    running.put("method", method());
    try (BenchCluster c = new BenchCluster(repo, out, NS)) {
      say("starting devcluster in " + c.stateDir);
      c.up();
      c.installCrdsAndNamespace();
      Path kubeconfig = c.operatorKubeconfig();
      c.createBenchWorkflow(WORKFLOW, "running_spans.py");
      say("starting the operator, log " + out.resolve("operator.log"));
      c.startOperator(kubeconfig, chart); // as the Helm chart runs it: the memory goals are about that operator
      c.awaitWorkflowReady(WORKFLOW, 120);
      if (agent) {
        say("one run of the built-in agent (service-agent-v3, fake LLM, demo calendar) for its stored size");
        try {
          stored.put("agent", AgentTrace.measure(c, repo));
        } catch (Exception e) {
          say("the agent run failed: " + e);
          stored.put("agent", Map.of("error", String.valueOf(e)));
        }
      }
      say("one hello Play of 10 spans for its stored size");
      stored.put("hello", hello(c));
      stored.putAll(fromMakeBench());
      running.putAll(new Burst(c).run());
    } finally {
      write(running, stored);
    }
    print(running, stored);
  }

  /** The 500 running Plays: everything measured while they run, and the clean-up after. */
  private final class Burst {
    private final BenchCluster c;
    private final long pid;
    private final List<String> names = new ArrayList<>();
    private final List<Map<String, Object>> samples = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String stopReason;

    Burst(BenchCluster c) {
      this.c = c;
      this.pid = c.operatorPid();
      for (int i = 0; i < n; i++) {
        names.add(String.format(Locale.ROOT, "run-%04d", i));
      }
    }

    Map<String, Object> run() throws Exception {
      Map<String, Object> r = new LinkedHashMap<>();
      try (Timeline timeline = new Timeline(c.admin, NS); SpanArrivals arrivals = new SpanArrivals(c.admin, NS)) {
        long threadsIdle = Proc.status(pid, "Threads");
        long rssIdleKib = Proc.status(pid, "VmRSS");
        r.put("load_average_before", Proc.loadAverage());
        r.put("pod_nice", c.podNice());
        r.put("memory_available_mib_before", Proc.meminfo("MemAvailable") / 1024);
        ApiMetrics apiBefore = ApiMetrics.parse(c.admin.raw("/metrics"));
        Map<String, Double> ownBefore = c.own.snapshot();
        String opTextBefore = c.operatorMetrics();
        ApiMetrics opBefore = ApiMetrics.parse(opTextBefore, "herologic_status_patches_total", PlayBenchmark.PATCH_BYTES);
        Proc.Cpu cpuBefore = Proc.cpu(pid);
        Proc.Cpu benchCpuBefore = Proc.cpu(ProcessHandle.current().pid());
        boolean peakReset = Proc.resetPeakRss(pid);
        Thread sampler = sampler(timeline);
        long burstStart = System.nanoTime();
        int created = 0;
        try {
          say("creating " + n + " Plays of " + WORKFLOW + " (" + spans + " spans over " + seconds + " s each), " + concurrency + " at a time");
          created = create(timeline);
          say(created + " created in " + round((System.nanoTime() - burstStart) / 1e9) + " s; waiting for them to end");
          awaitEnd(timeline, names.stream().filter(timeline.created::containsKey).toList(), burstStart);
          Thread.sleep(2000); // the last status patches land inside the counts
        } finally {
          sampler.interrupt();
          sampler.join(5000);
        }
        List<String> ran = names.stream().filter(timeline.created::containsKey).toList();
        r.put("plays_created", created);
        r.put("stopped_early", stopReason);
        r.put("load_average_end", Proc.loadAverage());
        r.put("burst_s", round((System.nanoTime() - burstStart) / 1e9));
        r.put("at_once", overlap(timeline, ran));
        r.put("operator", operator(threadsIdle, rssIdleKib, peakReset, cpuBefore));
        Map<String, Object> spanToStatus = spanLatency(arrivals, timeline, ran);
        insideTheOperator(spanToStatus, opTextBefore, c.operatorMetrics());
        r.put("span_to_status", spanToStatus);
        r.put("benchmark_cpu_s", round(Proc.cpu(ProcessHandle.current().pid()).minus(benchCpuBefore).self()));
        r.put("plays", plays(timeline, ran));
        r.put("api", api(apiBefore, ownBefore, opBefore, ran.size()));
        // After the counted window: reading every Pod's log costs requests and CPU that the figures above leave out.
        splitAtTheNode(spanToStatus, arrivals.of(ran), timeline, ran);
        r.put("samples_file", out.resolve("running-samples.json").toString());
        Files.writeString(out.resolve("running-samples.json"), JSON.writeValueAsString(samples));
      } finally {
        cleanUp();
      }
      return r;
    }

    private int create(Timeline timeline) throws Exception {
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      try {
        List<Future<Boolean>> done = new ArrayList<>();
        for (String name : names) {
          done.add(pool.submit(() -> {
            if (stopReason != null) {
              return false;
            }
            c.admin.resource(play(name)).create();
            timeline.created.put(name, System.nanoTime());
            return true;
          }));
        }
        int created = 0;
        for (Future<Boolean> f : done) {
          if (f.get()) {
            created++;
          }
        }
        return created;
      } finally {
        pool.shutdown();
      }
    }

    private Play play(String name) {
      Play play = new Play();
      play.getMetadata().setName(name);
      play.getMetadata().setNamespace(NS);
      play.getSpec().setWorkflow(WORKFLOW);
      play.getSpec().setInputs(JSON.createObjectNode().put("spans", spans).put("seconds", seconds));
      return play;
    }

    private void awaitEnd(Timeline timeline, List<String> created, long burstStart) throws InterruptedException {
      long deadline = burstStart + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      long lastSay = 0;
      while (System.nanoTime() < deadline && stopReason == null) {
        long done = created.stream().filter(timeline.playFinal::containsKey).count();
        if (done == created.size()) {
          return;
        }
        if (System.nanoTime() - lastSay > TimeUnit.SECONDS.toNanos(15) && !samples.isEmpty()) {
          Map<String, Object> s = samples.get(samples.size() - 1);
          say("  " + done + "/" + created.size() + " final, running: " + s.get("plays_running") + " Plays, " + s.get("pods_running")
              + " Pods; operator RSS " + s.get("rss_mib") + " MiB, " + s.get("threads") + " threads; available "
              + s.get("available_mib") + " MiB; load " + Proc.loadAverage());
          lastSay = System.nanoTime();
        }
        Thread.sleep(200);
      }
      if (stopReason == null) {
        stopReason = "not every Play was final within " + timeoutSeconds + " s";
      }
      say("  stopped: " + stopReason);
    }

    /** Every second: the operator's RSS and threads, Plays and Pods running, the machine's available memory. */
    private Thread sampler(Timeline timeline) {
      Thread t = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          Map<String, Object> s = new LinkedHashMap<>();
          s.put("t_s", round((System.nanoTime() - START) / 1e9));
          s.put("rss_mib", round(Proc.status(pid, "VmRSS") / 1024.0));
          s.put("threads", Proc.status(pid, "Threads"));
          s.put("plays_running", between(names, timeline.playRunning, timeline.playFinal));
          s.put("pods_running", between(timeline.podOfPlay.values(), timeline.podRunning, timeline.podFinal));
          long available = Proc.meminfo("MemAvailable") / 1024;
          s.put("available_mib", available);
          s.put("load", Proc.loadAverage());
          samples.add(s);
          if (available >= 0 && available < minAvailableMib && stopReason == null) {
            stopReason = "the machine's available memory fell to " + available + " MiB (below " + minAvailableMib + ") with "
                + s.get("pods_running") + " Pods running";
            say("  " + stopReason + ": stopping");
          }
          try {
            Thread.sleep(1000);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-sampler");
      t.setDaemon(true);
      t.start();
      return t;
    }

    /** How many ran at once: the largest overlap of [Running, final] intervals as the watch saw them, and the sampler's peak. */
    private Map<String, Object> overlap(Timeline timeline, List<String> ran) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("plays_running_peak", peakOverlap(ran, timeline.playRunning, timeline.playFinal));
      List<String> pods = ran.stream().map(timeline.podOfPlay::get).filter(Objects::nonNull).toList();
      m.put("pods_running_peak", peakOverlap(pods, timeline.podRunning, timeline.podFinal));
      m.put("sampled_plays_running_peak", samples.stream().mapToLong(s -> (long) s.get("plays_running")).max().orElse(0));
      m.put("sampled_pods_running_peak", samples.stream().mapToLong(s -> (long) s.get("pods_running")).max().orElse(0));
      m.put("available_mib_lowest", samples.stream().mapToLong(s -> (long) s.get("available_mib")).min().orElse(-1));
      return m;
    }

    private Map<String, Object> operator(long threadsIdle, long rssIdleKib, boolean peakReset, Proc.Cpu cpuBefore) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("rss_mib_idle_before", round(rssIdleKib / 1024.0));
      m.put("peak_rss_mib", peakReset ? round(Proc.status(pid, "VmHWM") / 1024.0) : null);
      m.put("peak_rss_mib_sampled", samples.stream().mapToDouble(s -> (double) s.get("rss_mib")).max().orElse(Double.NaN));
      // The sample with the most Plays running (the first of them): RSS then.
      samples.stream().reduce((a, b) -> (long) b.get("plays_running") > (long) a.get("plays_running") ? b : a).ifPresent(s -> {
        m.put("rss_mib_at_most_running", s.get("rss_mib"));
        m.put("plays_running_then", s.get("plays_running"));
      });
      m.put("threads_idle_before", threadsIdle);
      m.put("threads_peak", samples.stream().mapToLong(s -> (long) s.get("threads")).max().orElse(-1));
      m.put("cpu_s", round(Proc.cpu(pid).minus(cpuBefore).self()));
      try {
        m.put("heap_mib_after_full_gc_at_end", round(Proc.heapUsedAfterGc(pid) / 1048576.0));
      } catch (RuntimeException e) {
        m.put("heap_mib_after_full_gc_at_end", "jcmd not usable: " + e.getMessage());
      }
      return m;
    }

    private Map<String, Object> spanLatency(SpanArrivals arrivals, Timeline timeline, List<String> ran) {
      List<SpanArrivals.Arrival> seen = arrivals.of(ran);
      List<Double> latencies = seen.stream().map(SpanArrivals.Arrival::latencyMs).toList();
      long succeeded = ran.stream().filter(p -> timeline.playPhase.get(p) == PlayPhase.Succeeded).count();
      long expected = (long) ran.size() * (1 + spans);
      Map<String, Object> m = new LinkedHashMap<>(Stats.of(latencies).json());
      m.put("expected_spans", expected);
      m.put("never_reached_status_ended", expected - seen.size());
      m.put("over_1_s", latencies.stream().filter(v -> v > LATENCY_GOAL_MS).count());
      m.put("negative_clock_skew", latencies.stream().filter(v -> v < 0).count());
      m.put("steps_only", Stats.of(seen.stream().filter(a -> a.name().startsWith("span-")).map(SpanArrivals.Arrival::latencyMs).toList()).json());
      // The same spans to the API server's time of the status write that carried them (whole seconds, so up to 1 s early).
      m.put("to_status_write_by_apiserver_clock", Stats.of(seen.stream().map(SpanArrivals.Arrival::writtenMs).filter(Objects::nonNull).toList()).json());
      // From the API server taking that write to the benchmark's watch delivering it (etcd commit, watch cache, the watch,
      // this JVM): up to 1 s too long, as the write's time is truncated to the second.
      m.put("write_to_seen", Stats.of(seen.stream().filter(a -> a.writtenAtMs() != null).map(a -> a.seenAtMs() - a.writtenAtMs()).toList()).json());
      m.put("plays_succeeded", succeeded);
      // Split at the moment the last Pod was seen running: before it, hundreds of Python processes were starting on the
      // same cores as the control plane and the operator (load average 10+ on 2 cores); after it, only running flows.
      OptionalLong lastStart = ran.stream().map(p -> podTime(timeline, timeline.podRunning, p)).filter(Objects::nonNull).mapToLong(Long::longValue).max();
      if (lastStart.isPresent()) {
        double lastStartEpochMs = epochMs(lastStart.getAsLong());
        m.put("last_pod_running_at", Instant.ofEpochMilli((long) lastStartEpochMs).toString());
        m.put("ended_while_pods_started", Stats.of(seen.stream().filter(a -> a.endedAtMs() <= lastStartEpochMs).map(SpanArrivals.Arrival::latencyMs).toList()).json());
        m.put("ended_after_last_pod_started", Stats.of(seen.stream().filter(a -> a.endedAtMs() > lastStartEpochMs).map(SpanArrivals.Arrival::latencyMs).toList()).json());
      }
      return m;
    }

    /**
     * Span end -> the node logging the line, and the node logging it -> the API server taking the
     * status write that carried it (whole seconds, so up to 1 s short): what happened before the
     * operator could read the span, and what after.
     */
    private void splitAtTheNode(Map<String, Object> m, List<SpanArrivals.Arrival> seen, Timeline timeline, List<String> ran) {
      Map<String, String> podOfPlay = new LinkedHashMap<>();
      ran.forEach(p -> Optional.ofNullable(timeline.podOfPlay.get(p)).ifPresent(pod -> podOfPlay.put(p, pod)));
      Map<String, Double> logged = NodeLogTimes.spanEnds(c.admin, NS, podOfPlay);
      List<SpanArrivals.Arrival> found = seen.stream().filter(a -> logged.containsKey(a.play() + "/" + a.spanId())).toList();
      m.put("end_to_node_logged", Stats.of(found.stream().map(a -> logged.get(a.play() + "/" + a.spanId()) - a.endedAtMs()).toList()).json());
      m.put("node_logged_to_status_write", Stats.of(found.stream().filter(a -> a.writtenAtMs() != null)
          .map(a -> a.writtenAtMs() - logged.get(a.play() + "/" + a.spanId())).toList()).json());
    }

    /**
     * The operator's own histograms over the burst: from its reading a log line to the status write
     * carrying it landing (herologic_status_lag, per write: its oldest new change), and the status
     * patch calls alone. Together with the split at the node, they tell the log's way to the
     * operator from the operator's own part.
     */
    private void insideTheOperator(Map<String, Object> m, String before, String after) {
      for (String[] h : new String[][] {{"operator_line_read_to_write", "herologic_status_lag_seconds"},
          {"operator_status_patch_call", "herologic_status_patch_seconds"}}) {
        m.put(h[0], Histogram.read(after, h[1]).since(Histogram.read(before, h[1])).json());
      }
    }

    /** A System.nanoTime reading (the Timeline's clock) as epoch milliseconds (the flows' and SpanArrivals' clock). */
    private static double epochMs(long nanoTime) {
      Instant now = Instant.now();
      long nanoNow = System.nanoTime();
      return now.toEpochMilli() - (nanoNow - nanoTime) / 1e6;
    }

    private Map<String, Object> plays(Timeline timeline, List<String> ran) {
      Map<String, Object> m = new LinkedHashMap<>();
      Map<String, Long> phases = new java.util.TreeMap<>();
      ran.forEach(p -> phases.merge(String.valueOf(timeline.playPhase.get(p)), 1L, Long::sum));
      m.put("phases", phases);
      m.put("created_to_pod_created", Stats.of(values(ran, p -> ms(podTime(timeline, timeline.podSeen, p), timeline.created.get(p)))).json());
      m.put("created_to_pod_running", Stats.of(values(ran, p -> ms(podTime(timeline, timeline.podRunning, p), timeline.created.get(p)))).json());
      m.put("created_to_succeeded", Stats.of(values(ran.stream().filter(p -> timeline.playPhase.get(p) == PlayPhase.Succeeded).toList(),
          p -> ms(timeline.playFinal.get(p), timeline.created.get(p)))).json());
      m.put("pod_final_to_play_final", Stats.of(values(ran, p -> ms(timeline.playFinal.get(p), podTime(timeline, timeline.podFinal, p)))).json());
      m.put("trace_incomplete", ran.stream().filter(timeline.traceIncomplete::contains).count());
      return m;
    }

    /** API requests in the burst per Play: the API server's counts minus the benchmark's own, and the operator's own status patch counter. */
    private Map<String, Object> api(ApiMetrics apiBefore, Map<String, Double> ownBefore, ApiMetrics opBefore, int plays) throws Exception {
      ApiMetrics apiAfter = ApiMetrics.parse(c.admin.raw("/metrics"));
      Map<String, Double> others = ApiMetrics.minus(ApiMetrics.delta(apiBefore.requests, apiAfter.requests),
          ApiMetrics.delta(ownBefore, c.own.snapshot()));
      ApiMetrics opAfter = ApiMetrics.parse(c.operatorMetrics(), "herologic_status_patches_total", PlayBenchmark.PATCH_BYTES);
      double patches = opAfter.named.getOrDefault("herologic_status_patches_total", 0.0)
          - opBefore.named.getOrDefault("herologic_status_patches_total", 0.0);
      double patchBytes = opAfter.named.getOrDefault(PlayBenchmark.PATCH_BYTES, 0.0) - opBefore.named.getOrDefault(PlayBenchmark.PATCH_BYTES, 0.0);
      double statusWrites = others.entrySet().stream().filter(e -> e.getKey().endsWith(" herologic.io/plays/status") && ApiMetrics.isWrite(e.getKey()))
          .mapToDouble(Map.Entry::getValue).sum();
      double operatorRequests = apiAfter.flows.getOrDefault(BenchCluster.OPERATOR_FLOW_SCHEMA, 0.0)
          - apiBefore.flows.getOrDefault(BenchCluster.OPERATOR_FLOW_SCHEMA, 0.0);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("writes_per_play_all_clients", perPlay(ApiMetrics.sumWrites(others), plays));
      m.put("play_status_writes_per_play", perPlay(statusWrites, plays));
      m.put("operator_status_patches_per_play", perPlay(patches, plays));
      m.put("operator_status_patch_bytes_per_play", perPlay(patchBytes, plays));
      m.put("operator_requests_per_play", perPlay(operatorRequests, plays));
      m.put("writes_by_request_all_clients", others.entrySet().stream().filter(e -> ApiMetrics.isWrite(e.getKey()))
          .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> round(e.getValue()), (a, b) -> a, java.util.TreeMap::new)));
      // The API server's own time per write (all clients), and how long API Priority and Fairness queued the operator's
      // requests: what of the operator's patch call the API server accounts for.
      Map<String, Double> latency = ApiMetrics.delta(apiBefore.latencySum, apiAfter.latencySum);
      Map<String, Double> requests = ApiMetrics.delta(apiBefore.requests, apiAfter.requests);
      m.put("apiserver_mean_ms_by_write", requests.entrySet().stream().filter(e -> ApiMetrics.isWrite(e.getKey()) && e.getValue() > 0)
          .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, e -> round(latency.getOrDefault(e.getKey(), 0.0) / e.getValue() * 1000),
              (a, b) -> a, java.util.TreeMap::new)));
      String flow = BenchCluster.OPERATOR_FLOW_SCHEMA;
      double waits = apiAfter.flowWaitCount.getOrDefault(flow, 0.0) - apiBefore.flowWaitCount.getOrDefault(flow, 0.0);
      m.put("operator_apf_wait_mean_ms", waits == 0 ? null
          : round((apiAfter.flowWaitSum.getOrDefault(flow, 0.0) - apiBefore.flowWaitSum.getOrDefault(flow, 0.0)) / waits * 1000));
      return m;
    }

    private void cleanUp() {
      say("deleting the Plays");
      try {
        c.admin.resources(Play.class).inNamespace(NS).delete();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline && !c.admin.pods().inNamespace(NS).withLabel(Timeline.PLAY_LABEL).list().getItems().isEmpty()) {
          Thread.sleep(1000);
        }
      } catch (Exception e) {
        say("clean-up: " + e + " (the devcluster is stopped anyway)");
      }
    }
  }

  /** How many of {@code keys} have a start and no end yet. */
  private static long between(java.util.Collection<String> keys, Map<String, Long> start, Map<String, Long> end) {
    return keys.stream().filter(k -> start.containsKey(k) && !end.containsKey(k)).count();
  }

  /** The largest number of [start, end) intervals open at one moment (an interval without an end is open until now). */
  static int peakOverlap(List<String> keys, Map<String, Long> start, Map<String, Long> end) {
    List<long[]> events = new ArrayList<>();
    for (String k : keys) {
      Long s = start.get(k);
      if (s != null) {
        events.add(new long[] {s, +1});
        events.add(new long[] {end.getOrDefault(k, Long.MAX_VALUE), -1});
      }
    }
    events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1])); // an end before a start at the same instant
    int open = 0;
    int peak = 0;
    for (long[] e : events) {
      open += (int) e[1];
      peak = Math.max(peak, open);
    }
    return peak;
  }

  /** The built-in hello with steps=6, 10 spans as in make bench: its stored size. */
  private static Map<String, Object> hello(BenchCluster c) throws Exception {
    c.awaitWorkflowReady("hello", 120);
    Play play = new Play();
    play.getMetadata().setName("stored-hello");
    play.getMetadata().setNamespace(NS);
    play.getSpec().setWorkflow("hello");
    play.getSpec().setInputs(JSON.createObjectNode().put("name", "stored-hello").put("steps", 6));
    c.admin.resource(play).create();
    try {
      Play done = c.awaitPlayFinal("stored-hello", 120);
      Map<String, Object> m = new LinkedHashMap<>(PlayBenchmark.statusSize(c.admin, NS, "stored-hello"));
      m.put("phase", String.valueOf(done.getStatus().getPhase()));
      return m;
    } finally {
      c.admin.resource(play).delete();
    }
  }

  /** The 10,000-span Play's stored size, from make bench's last results, when there are any. */
  private Map<String, Object> fromMakeBench() throws Exception {
    Path file = out.resolve("results.json");
    Map<String, Object> m = new LinkedHashMap<>();
    if (!Files.exists(file)) {
      return m;
    }
    JsonNode all = JSON.readTree(file.toFile());
    JsonNode big = all.path("big_play");
    if (big.has("play_json_bytes")) {
      m.put("big", Map.of("spans_in_status", big.path("spans_in_status").asInt(), "span_count", big.path("span_count").asInt(),
          "play_json_bytes", big.path("play_json_bytes").asLong(), "from", "make bench, " + all.path("started_at").asText()));
    }
    return m;
  }

  private Map<String, Object> method() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("running_at_once", "from the benchmark's watch: a Play counts from its first update into Running (or a final phase) until its "
        + "first final update; a Pod from phase Running until Succeeded/Failed; the peak is the largest overlap of those intervals; "
        + "the sampler (every second) reports the same counts");
    m.put("span_to_status", "per span: the flow's end (status startTime + durationMs, the runner's time.time()) to the wall-clock moment "
        + "the benchmark's Play informer first delivered that span with a duration; Pods are processes on this machine, same clock");
    m.put("operator_memory", "VmHWM reset with clear_refs before the burst; VmRSS and Threads from /proc/<pid>/status every second; "
        + "heap after jcmd GC.run at the end, before the Plays are deleted");
    m.put("api", "apiserver_request_total over the burst minus the benchmark's own requests; the operator's requests from its APF "
        + "flow schema (service-accounts); herologic_status_patches_total from the operator");
    m.put("stored_bytes", "the Play's JSON as the API server returns it (managedFields included): what etcd holds, near enough");
    return m;
  }

  private void write(Map<String, Object> running, Map<String, Object> stored) throws Exception {
    Path file = out.resolve("results.json");
    ObjectNode all = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
    all.set("running", JSON.valueToTree(running));
    all.set("stored", JSON.valueToTree(stored));
    Files.writeString(file, JSON.writeValueAsString(all));
    say("wrote the \"running\" and \"stored\" sections of " + file);
  }

  @SuppressWarnings("unchecked")
  private void print(Map<String, Object> r, Map<String, Object> stored) {
    Map<String, Object> at = (Map<String, Object>) r.get("at_once");
    Map<String, Object> op = (Map<String, Object>) r.get("operator");
    Map<String, Object> lat = (Map<String, Object>) r.get("span_to_status");
    Map<String, Object> plays = (Map<String, Object>) r.get("plays");
    Map<String, Object> api = (Map<String, Object>) r.get("api");
    Map<String, Object> toSucceeded = (Map<String, Object>) plays.get("created_to_succeeded");
    Map<String, Object> toPod = (Map<String, Object>) plays.get("created_to_pod_running");
    Object peakRss = op.get("peak_rss_mib");
    long threadsIdle = (long) op.get("threads_idle_before");
    long threadsPeak = (long) op.get("threads_peak");
    int created = (int) r.get("plays_created");
    System.out.printf(Locale.ROOT, "%n%-58s %s%n", "load average (before / end)", r.get("load_average_before") + " / " + r.get("load_average_end"));
    row("Pods' niceness (DEVCLUSTER_POD_NICE)", r.get("pod_nice"));
    row("Plays created (" + spans + " spans over " + seconds + " s each)", created + " of " + n
        + (r.get("stopped_early") == null ? "" : "  (stopped: " + r.get("stopped_early") + ")"));
    row("phases", plays.get("phases"));
    row("Plays running at once, peak (watch / sampled)", at.get("plays_running_peak") + " / " + at.get("sampled_plays_running_peak"));
    row("Pods running at once, peak (watch / sampled)", at.get("pods_running_peak") + " / " + at.get("sampled_pods_running_peak"));
    row("machine memory available, lowest (MiB)", at.get("available_mib_lowest"));
    row("operator peak RSS (MiB)                    [goal <= 600]", peakRss + (peakRss instanceof Number v ? mark(v.doubleValue() <= RSS_GOAL_MIB) : ""));
    row("operator RSS with the most running (MiB)", op.get("rss_mib_at_most_running") + " (" + op.get("plays_running_then") + " Plays running)");
    row("operator heap after full GC, at the end (MiB)", op.get("heap_mib_after_full_gc_at_end"));
    // "Bounded, not one per Play": the threads added while Plays ran. Judged only when at least 128 ran at once, where
    // one thread per Play would add 128 or more; a fixed pool adds a few dozen whatever N is (about 40 at 100 and at 500).
    int peakRunning = (int) at.get("plays_running_peak");
    row("operator threads idle / peak  [goal: bounded: <= 64 added]", threadsIdle + " / " + threadsPeak
        + (peakRunning < 128 ? "  (too few Plays at once to tell)" : mark(threadsPeak - threadsIdle <= THREADS_ADDED_GOAL)));
    row("operator CPU over the burst (s)", op.get("cpu_s"));
    row("span end -> in status, ms p50/p95/p99/max  [goal p95 <= 1000]", lat.get("p50_ms") + " / " + lat.get("p95_ms") + " / " + lat.get("p99_ms")
        + " / " + lat.get("max_ms") + (lat.get("p95_ms") instanceof Number v ? mark(v.doubleValue() <= LATENCY_GOAL_MS) : ""));
    row("spans seen ended / expected (never reached status)", lat.get("count") + " / " + lat.get("expected_spans") + " ("
        + lat.get("never_reached_status_ended") + ")");
    row("spans over 1 s", lat.get("over_1_s"));
    Map<String, Object> written = (Map<String, Object>) lat.get("to_status_write_by_apiserver_clock");
    Map<String, Object> delivered = (Map<String, Object>) lat.get("write_to_seen");
    row("  of which end -> write taken (API server's clock, whole s) p50/p95", written.get("p50_ms") + " / " + written.get("p95_ms"));
    row("  and write taken -> seen by the watch (+0..1 s) p50/p95", delivered.get("p50_ms") + " / " + delivered.get("p95_ms"));
    if (lat.get("end_to_node_logged") instanceof Map<?, ?> logged && lat.get("node_logged_to_status_write") instanceof Map<?, ?> toWrite) {
      row("  end -> the node logged it p50/p95", logged.get("p50_ms") + " / " + logged.get("p95_ms"));
      row("  the node logged it -> write taken (whole s) p50/p95", toWrite.get("p50_ms") + " / " + toWrite.get("p95_ms"));
    }
    for (String[] part : new String[][] {{"operator_line_read_to_write", "  inside the operator: line read -> write landed (per write) p50/p95"},
        {"operator_status_patch_call", "  of which the status patch call p50/p95"}}) {
      if (lat.get(part[0]) instanceof Map<?, ?> h) {
        row(part[1], h.get("p50_ms") + " / " + h.get("p95_ms") + "  (" + h.get("count") + " writes)");
      }
    }
    for (String part : List.of("ended_while_pods_started", "ended_after_last_pod_started")) {
      if (lat.get(part) instanceof Map<?, ?> stats) {
        row("  spans " + part.replace('_', ' ') + ": count, p50/p95", stats.get("count") + ", " + stats.get("p50_ms") + " / " + stats.get("p95_ms"));
      }
    }
    Map<String, Object> toPodCreated = (Map<String, Object>) plays.get("created_to_pod_created");
    row("Play created -> its Pod created, s p50/p95/max", sec(toPodCreated.get("p50_ms")) + " / " + sec(toPodCreated.get("p95_ms")) + " / " + sec(toPodCreated.get("max_ms")));
    row("Play created -> Pod running, s p50/p95/max", sec(toPod.get("p50_ms")) + " / " + sec(toPod.get("p95_ms")) + " / " + sec(toPod.get("max_ms")));
    Map<String, Object> podToPlay = (Map<String, Object>) plays.get("pod_final_to_play_final");
    row("Pod final -> Play final, s p50/p95/max", sec(podToPlay.get("p50_ms")) + " / " + sec(podToPlay.get("p95_ms")) + " / " + sec(podToPlay.get("max_ms")));
    row("Play created -> Succeeded, s p50/p95/max", sec(toSucceeded.get("p50_ms")) + " / " + sec(toSucceeded.get("p95_ms")) + " / " + sec(toSucceeded.get("max_ms")));
    row("API writes per Play (all clients, minus the benchmark)", api.get("writes_per_play_all_clients"));
    row("plays/status writes per Play (operator's counter)", api.get("play_status_writes_per_play") + " (" + api.get("operator_status_patches_per_play") + ")");
    row("status bytes written per Play (operator's counter)", String.valueOf(api.get("operator_status_patch_bytes_per_play")));
    row("operator API requests per Play", api.get("operator_requests_per_play"));
    if (api.get("apiserver_mean_ms_by_write") instanceof Map<?, ?> byWrite) {
      row("API server's mean time, ms: status apply / Pod create", byWrite.get("APPLY herologic.io/plays/status") + " / " + byWrite.get("POST pods"));
    }
    row("API Priority and Fairness queueing of the operator, mean ms", api.get("operator_apf_wait_mean_ms"));
    row("benchmark's own CPU over the burst (s)", r.get("benchmark_cpu_s"));
    System.out.printf(Locale.ROOT, "%n%-58s %s%n", "stored size of a Play (JSON as the API server returns it)", "spans / bytes / bytes per span");
    storedRow("10-span hello (steps=6)", stored.get("hello"), "-");
    storedRow("agent-sized: service-agent-v3, one real run", stored.get("agent"), "not measured (BENCH_AGENT=0)");
    storedRow("10,000-span Play", stored.get("big"), "not measured here: make bench measures it, this table then shows it");
  }

  @SuppressWarnings("unchecked")
  private static void storedRow(String label, Object value, String missing) {
    if (!(value instanceof Map)) {
      row(label, missing);
      return;
    }
    Map<String, Object> m = (Map<String, Object>) value;
    if (m.containsKey("error")) {
      row(label, "failed: " + m.get("error"));
      return;
    }
    int spans = ((Number) m.get("spans_in_status")).intValue();
    long bytes = ((Number) m.get("play_json_bytes")).longValue();
    row(label, spans + " / " + bytes + " / " + (spans == 0 ? "-" : Math.round(bytes / (double) spans))
        + (m.containsKey("spans_by_kind") ? "  " + m.get("spans_by_kind") : "") + (m.containsKey("from") ? "  (" + m.get("from") + ")" : ""));
  }

  private static String mark(boolean met) {
    return met ? "  met" : "  MISSED";
  }

  private static Object sec(Object ms) {
    return ms instanceof Number v ? round(v.doubleValue() / 1000) : "-";
  }

  private static List<Double> values(List<String> keys, java.util.function.Function<String, Double> f) {
    return keys.stream().map(f).filter(Objects::nonNull).toList();
  }

  /** When the Play's Pod reached a state ({@code times}: a map of {@link Timeline}), or null. */
  private static Long podTime(Timeline timeline, Map<String, Long> times, String play) {
    String pod = timeline.podOfPlay.get(play);
    return pod == null ? null : times.get(pod);
  }

  private static Double ms(Long to, Long from) {
    return to == null || from == null ? null : (to - from) / 1e6;
  }

  private static Double perPlay(double v, int plays) {
    return plays == 0 ? null : Math.round(v / plays * 100) / 100.0;
  }

  private static void row(String label, Object value) {
    System.out.printf(Locale.ROOT, "%-58s %s%n", label, value);
  }

  private static double round(double v) {
    return Math.round(v * 10) / 10.0;
  }

  private static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }

  private static void say(String text) {
    System.out.printf(Locale.ROOT, "[bench-running %6.1fs] %s%n", (System.nanoTime() - START) / 1e9, text);
  }
}
