package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.Play;
import io.herologic.model.PlayHistory;
import io.herologic.model.PlayPhase;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.play.PlayPodFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * hero-logic's benchmark (`make bench`): a burst of Plays of the built-in hello flow against the
 * same Pods created without the operator (the floor), the API requests and status patches each
 * Play costs, the operator's CPU and memory for the burst, one Play emitting 10,000 spans, and the
 * SDK's cost per span beside OpenTelemetry's. Prints a table and writes target/bench/results.json.
 *
 * <p>Environment: BENCH_N (Plays in the burst, default 200), BENCH_CONCURRENCY (threads creating
 * them, default 8), BENCH_SPANS (steps of the big Play, default 10000), BENCH_HELLO_STEPS (default
 * 6: hello then emits exactly 10 spans), BENCH_WARMUP (Plays and floor Pods run first and not
 * measured, default 20), BENCH_OUT (output folder, default target/bench), BENCH_KEEP_CLUSTER=1 (leave
 * devcluster running).
 *
 * <p>Not an assertion: targets are reported as met or missed, the exit code only says whether the
 * benchmark itself could run.
 */
public final class PlayBenchmark {
  static final String NS = "hl-bench";
  static final String FLOOR_LABEL = "bench.herologic.io/floor";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final long START = System.nanoTime();
  static final String RECONCILE_SUM = "operator_sdk_controllers_execution_reconcile_seconds_sum{controller=play}";
  static final String RECONCILE_COUNT = "operator_sdk_controllers_execution_reconcile_seconds_count{controller=play}";
  static final String PLAY_EVENTS = "operator_sdk_events_received_total{kind=Play}";
  static final String GC_PAUSE = "jvm_gc_pause_seconds_sum";
  static final String GC_COUNT = "jvm_gc_pause_seconds_count";
  static final String PATCH_BYTES = "herologic_status_patch_bytes_total";
  private static final String[] OPERATOR_COUNTERS = {"herologic_status_patches_total", PATCH_BYTES, "herologic_reconcile_errors_total",
      RECONCILE_SUM, RECONCILE_COUNT, PLAY_EVENTS, GC_PAUSE, GC_COUNT};

  private final Path repo;
  private final Path out;
  private final int n = intEnv("BENCH_N", 200);
  private final int concurrency = intEnv("BENCH_CONCURRENCY", 8);
  private final int bigSpans = intEnv("BENCH_SPANS", 10_000);
  private final int helloSteps = intEnv("BENCH_HELLO_STEPS", 6);
  private final int warmUp = intEnv("BENCH_WARMUP", 20);
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final Map<String, String> load = new LinkedHashMap<>();
  private BenchCluster cluster;
  private final java.util.concurrent.atomic.AtomicInteger createRetries = new java.util.concurrent.atomic.AtomicInteger();
  private Timeline timeline;

  private PlayBenchmark(Path repo) {
    this.repo = repo;
    String dir = System.getenv("BENCH_OUT");
    this.out = dir == null || dir.isBlank() ? repo.resolve("target/bench") : repo.resolve(dir);
  }

  public static void main(String[] args) {
    BenchMain.runAndExit(() -> new PlayBenchmark(PlayBenchmark.findRepo()).run());
  }

  private void run() throws Exception {
    Files.createDirectories(out);
    results.put("started_at", Instant.now().toString());
    results.put("machine", Proc.machine(repo));
    results.put("load_average", load);
    results.put("settings", Map.of("n", n, "concurrency", concurrency, "big_play_steps", bigSpans, "hello_steps", helloSteps, "warm_up", warmUp,
        "namespace", NS, "operator_heap", "384m"));
    results.put("method", method());
    load.put("start", Proc.loadAverage());

    say("SDK cost per span beside OpenTelemetry (flows/bench/span_cost.py), before the cluster starts");
    results.put("sdk_span_cost", spanCost());

    cluster = new BenchCluster(repo, out, NS);
    try (BenchCluster c = cluster) {
      say("starting devcluster in " + c.stateDir);
      c.up();
      c.installCrdsAndNamespace();
      Path kubeconfig = c.operatorKubeconfig();
      say("starting the operator (" + BenchCluster.OPERATOR_SA + " ServiceAccount token), log " + out.resolve("operator.log"));
      c.startOperator(kubeconfig, "384m");
      results.put("operator_start", Map.of("rss_kib_after_ready", Proc.status(c.operatorPid(), "VmRSS"),
          "cpu_s_to_ready", round(Proc.cpu(c.operatorPid()).self())));
      cluster.awaitWorkflowReady("hello", 120);
      // Keep every Play of the burst: retention deleting the oldest beyond hello's history limits
      // (100 by default) would add its deletes to the requests per Play, and take the Plays measured.
      c.admin.resources(Workflow.class).inNamespace(NS).withName("hello")
          .edit(w -> { w.getSpec().setHistory(new PlayHistory(10_000, 10_000)); return w; });
      timeline = new Timeline(c.admin, NS);
      try (Timeline t = timeline) {
        Pod template = warmUp();
        load.put("before_play_burst", Proc.loadAverage());
        say("burst of " + n + " Plays of hello (steps=" + helloSteps + ")");
        Burst plays = burst("p-", true, null);
        load.put("after_play_burst", Proc.loadAverage());
        Map<String, Object> helloStatus = statusSize(cluster.admin, NS, plays.names.get(0));
        cleanUp();
        load.put("before_floor_burst", Proc.loadAverage());
        say("floor: " + n + " Pods with the operator's Pod spec, created directly");
        Burst floor = burst("floor-", false, template);
        load.put("after_floor_burst", Proc.loadAverage());
        cleanUp();
        say("Jobs: " + n + " Jobs whose Pod template is the same Pod spec, run by the Job controller in kube-controller-manager");
        Burst jobs = jobBurst(template);
        load.put("after_job_burst", Proc.loadAverage());
        cleanUp();
        say("one Play of " + bigSpans + " steps");
        Map<String, Object> big = bigPlay();
        load.put("end", Proc.loadAverage());
        report(plays, floor, helloStatus, big);
        reportJobs(plays, jobs);
      }
    } finally {
      Path file = out.resolve("results.json");
      for (String other : List.of("memory", "running")) { // make bench-memory's and bench-running's sections stay
        if (Files.exists(file) && JSON.readTree(file.toFile()).has(other)) {
          results.put(other, JSON.readTree(file.toFile()).get(other));
        }
      }
      Files.writeString(file, JSON.writeValueAsString(results));
      say("wrote " + out.resolve("results.json"));
    }
  }

  // ---- SDK cost per span -----------------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  private Map<String, Object> spanCost() throws Exception {
    Path venv = repo.resolve("target/bench/venv/bin/python");
    String python = Files.isExecutable(venv) ? venv.toString() : "python3";
    Path json = out.resolve("span_cost.json");
    Files.deleteIfExists(json);
    Process p = new ProcessBuilder(python, repo.resolve("flows/bench/span_cost.py").toString(), "--json", json.toString())
        .inheritIO().start();
    if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.exists(json)) {
      return Map.of("error", "span_cost.py failed (exit " + (p.isAlive() ? "timeout" : p.exitValue()) + ")");
    }
    return JSON.readValue(json.toFile(), LinkedHashMap.class);
  }

  // ---- warm-up and clean-up --------------------------------------------------------------------------

  /** Plays and floor Pods first, so neither burst pays for class loading and the JIT; returns the Pod template. */
  private Pod warmUp() throws Exception {
    int w = Math.max(1, warmUp);
    say("warm-up: " + w + " Plays and " + w + " floor Pods");
    List<String> names = create("warmup-", w, true, null);
    awaitFinal(names, true, 120);
    String podName = timeline.podOfPlay.get(names.get(0));
    Pod template = cluster.admin.pods().inNamespace(NS).withName(podName).get();
    List<String> floor = create("warmup-floor-", w, false, template);
    awaitFinal(floor, false, 120);
    cleanUp();
    return template;
  }

  private void cleanUp() throws InterruptedException {
    cluster.admin.resources(Play.class).inNamespace(NS).delete();
    cluster.admin.batch().v1().jobs().inNamespace(NS).withLabel(FLOOR_LABEL).withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
    cluster.admin.pods().inNamespace(NS).withLabel(FLOOR_LABEL).delete();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while ((timeline.podCount() > 0 || timeline.playCount() > 0 || timeline.jobCount() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    if (timeline.podCount() > 0 || timeline.playCount() > 0) {
      say("warning: " + timeline.podCount() + " Pods and " + timeline.playCount() + " Plays still there after 180 s");
    }
    Thread.sleep(2000); // let the operator and the agent go idle
  }

  // ---- bursts --------------------------------------------------------------------------------------

  /** A measured window: API server counters, the benchmark's own requests, operator counters, CPU. */
  private final class Window {
    final ApiMetrics apiBefore;
    final Map<String, Double> ownBefore;
    final ApiMetrics opBefore;
    final Map<String, Proc.Cpu> cpuBefore;
    final double[] machineBefore;
    final long begin = System.nanoTime();
    final boolean peakReset;
    final long logLinesBefore = operatorLogLines().size();
    List<String> logAfter = List.of();
    volatile long maxRssKib;
    volatile long maxThreads;
    private final Thread sampler;
    private volatile boolean sampling = true;
    ApiMetrics apiAfter;
    Map<String, Double> ownAfter;
    ApiMetrics opAfter;
    Map<String, Proc.Cpu> cpuAfter;
    double[] machineAfter;
    long end;
    long peakRssKib;

    Window() throws Exception {
      long pid = cluster.operatorPid();
      peakReset = Proc.resetPeakRss(pid);
      ownBefore = cluster.own.snapshot();
      apiBefore = ApiMetrics.parse(cluster.admin.raw("/metrics"));
      opBefore = ApiMetrics.parse(cluster.operatorMetrics(), OPERATOR_COUNTERS);
      cpuBefore = cpu();
      machineBefore = Proc.machineCpu();
      sampler = new Thread(() -> {
        while (sampling) {
          maxRssKib = Math.max(maxRssKib, Proc.status(pid, "VmRSS"));
          maxThreads = Math.max(maxThreads, Proc.status(pid, "Threads"));
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "bench-sampler");
      sampler.setDaemon(true);
      sampler.start();
    }

    void close() throws Exception {
      end = System.nanoTime();
      sampling = false;
      sampler.join(1000);
      peakRssKib = Proc.status(cluster.operatorPid(), "VmHWM");
      cpuAfter = cpu();
      machineAfter = Proc.machineCpu();
      String page = cluster.operatorMetrics();
      operatorMetricsBytes = page.length();
      operatorMetricsLines = page.split("\n").length;
      opAfter = ApiMetrics.parse(page, OPERATOR_COUNTERS);
      apiAfter = ApiMetrics.parse(cluster.admin.raw("/metrics"));
      ownAfter = cluster.own.snapshot();
      logAfter = operatorLogLines();
    }

    Map<String, Double> requests() {
      return ApiMetrics.delta(apiBefore.requests, apiAfter.requests);
    }

    Map<String, Double> own() {
      return ApiMetrics.delta(ownBefore, ownAfter);
    }

    /** The API server's request counts minus the benchmark's own requests. */
    Map<String, Double> othersRequests() {
      return ApiMetrics.minus(requests(), own());
    }

    Map<String, Double> flows() {
      return ApiMetrics.delta(apiBefore.flows, apiAfter.flows);
    }

    Map<String, Double> latencySum() {
      return ApiMetrics.delta(apiBefore.latencySum, apiAfter.latencySum);
    }

    /** Mean time a request of this client identity (APF flow schema) waited in the API server's fairness queues, ms. */
    Double flowWaitMs(String flowSchema) {
      double sum = apiAfter.flowWaitSum.getOrDefault(flowSchema, 0.0) - apiBefore.flowWaitSum.getOrDefault(flowSchema, 0.0);
      double count = apiAfter.flowWaitCount.getOrDefault(flowSchema, 0.0) - apiBefore.flowWaitCount.getOrDefault(flowSchema, 0.0);
      return count == 0 ? null : round(sum / count * 1000);
    }

    /** The operator's /q/metrics page size at the end of the window, in bytes and lines. */
    int operatorMetricsBytes;
    int operatorMetricsLines;

    /** Mean apiserver_request_duration_seconds of one request key in the window, ms (what the API server itself measured). */
    Double apiLatencyMs(String key) {
      double count = requests().getOrDefault(key, 0.0);
      return count == 0 ? null : round(latencySum().getOrDefault(key, 0.0) / count * 1000);
    }

    double statusPatchesCounted() {
      return operatorCounter("herologic_status_patches_total");
    }

    double operatorCounter(String name) {
      return opAfter.named.getOrDefault(name, 0.0) - opBefore.named.getOrDefault(name, 0.0);
    }

    /** WARN and ERROR lines of the operator's log written in the window that contain {@code text} (stack traces not counted). */
    long logLines(String text) {
      return logAfter.stream().skip(logLinesBefore).filter(l -> (l.contains(" WARN ") || l.contains(" ERROR ")) && l.contains(text)).count();
    }

    Map<String, Double> cpuSeconds() {
      Map<String, Double> m = new LinkedHashMap<>();
      cpuAfter.forEach((k, after) -> {
        Proc.Cpu d = after.minus(cpuBefore.get(k));
        m.put(k, d.self());
        if (k.equals("node-agent")) {
          m.put("pod processes (agent's children)", d.children());
        }
      });
      double busy = machineAfter[0] - machineBefore[0];
      double ours = m.values().stream().mapToDouble(Double::doubleValue).sum();
      m.put("everything else on the machine", Math.max(0, busy - ours));
      m.put("machine busy", busy);
      m.put("machine capacity", machineAfter[1] - machineBefore[1]);
      return m;
    }

    double seconds() {
      return (end - begin) / 1e9;
    }

    private Map<String, Proc.Cpu> cpu() {
      Map<String, Proc.Cpu> m = new LinkedHashMap<>();
      m.put("operator", Proc.cpu(cluster.operatorPid()));
      m.put("kube-apiserver", Proc.cpu(cluster.pid("KUBE_APISERVER")));
      m.put("etcd", Proc.cpu(cluster.pid("ETCD")));
      m.put("node-agent", Proc.cpu(cluster.pid("NODE_AGENT")));
      m.put("kube-controller-manager", Proc.cpu(cluster.pid("KUBE_CONTROLLER_MANAGER")));
      m.put("benchmark (this JVM)", Proc.cpu(ProcessHandle.current().pid()));
      return m;
    }
  }

  private List<String> operatorLogLines() {
    try {
      return Files.readAllLines(cluster.operatorLog());
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }

  private record Burst(boolean plays, List<String> names, long firstCreateStart, Window window, int failed) {}

  private Burst burst(String prefix, boolean plays, Pod template) throws Exception {
    Window window = new Window();
    long start = System.nanoTime();
    List<String> names = create(prefix, n, plays, template);
    int failed = awaitFinal(names, plays, Math.min(1200, 120 + 3L * n));
    Thread.sleep(2000); // trailing requests (Events, the last status patch) land inside the window
    window.close();
    say(String.format(Locale.ROOT, "  %d %s final in %.1f s (%d not Succeeded)", names.size(), plays ? "Plays" : "Pods",
        (lastFinal(names, plays) - start) / 1e9, failed));
    return new Burst(plays, names, start, window, failed);
  }

  /** Creates {@code count} Plays (or floor Pods from the template) from {@link #concurrency} threads. */
  private List<String> create(String prefix, int count, boolean plays, Pod template) throws Exception {
    return create(prefix, count, name -> plays ? play(name) : floorPod(template, name));
  }

  /** Creates {@code count} objects made by {@code make} from {@link #concurrency} threads, recording when each create returned. */
  private List<String> create(String prefix, int count, Function<String, HasMetadata> make) throws Exception {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      names.add(String.format(Locale.ROOT, "%s%04d", prefix, i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (String name : names) {
        done.add(pool.submit(() -> {
          HasMetadata object = make.apply(name);
          long before = System.nanoTime();
          for (int attempt = 1; ; attempt++) {
            try {
              cluster.admin.resource(object).create();
              break;
            } catch (KubernetesClientException e) {
              if (e.getCode() == 409 && attempt > 1) {
                break; // an earlier attempt did create it
              }
              if (e.getCode() != 0 || attempt == 3) {
                throw e;
              }
              createRetries.incrementAndGet(); // a transport error ("Connection was closed"): try again
            }
          }
          long after = System.nanoTime();
          timeline.created.put(name, after);
          timeline.createRtt.put(name, after - before);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    return names;
  }

  private Play play(String name) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(NS);
    play.getSpec().setWorkflow("hello");
    play.getSpec().setInputs(new ObjectMapper().createObjectNode().put("name", name).put("steps", helloSteps));
    return play;
  }

  /**
   * The operator's Pod with a new name, no owner, none of the operator's labels or launch record,
   * and what admission and the scheduler added removed. It keeps the inputs annotation, which its
   * "run" volume mounts, so it runs the flow with the same inputs.
   */
  static Pod floorPod(Pod template, String name) {
    Pod pod = new PodBuilder(template).withStatus(null).build();
    pod.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(template.getMetadata().getNamespace())
        .withLabels(Map.of(FLOOR_LABEL, "true")).withAnnotations(inputsOf(template)).build());
    pod.getSpec().setNodeName(null);
    pod.getSpec().setPriority(null);
    pod.getSpec().setPreemptionPolicy(null);
    pod.getSpec().setTolerations(null);
    return pod;
  }

  private static Map<String, String> inputsOf(Pod template) {
    return Map.of(PlayPodFactory.INPUTS_ANNOTATION, template.getMetadata().getAnnotations().get(PlayPodFactory.INPUTS_ANNOTATION));
  }

  /**
   * A Job running the floor Pod's spec once (no retry, as a Play's Pod is never retried): the same
   * container and Pod spec, created by the same client, but Pod creation and status done by
   * Kubernetes' own Job controller.
   */
  static Job floorJob(Pod template, String name) {
    Pod pod = floorPod(template, name);
    return new JobBuilder().withNewMetadata().withName(name).withNamespace(template.getMetadata().getNamespace())
        .withLabels(Map.of(FLOOR_LABEL, "true")).endMetadata()
        .withNewSpec().withBackoffLimit(0).withCompletions(1).withParallelism(1)
        .withNewTemplate().withNewMetadata().withLabels(Map.of(FLOOR_LABEL, "true")).withAnnotations(inputsOf(template)).endMetadata()
          .withSpec(pod.getSpec()).endTemplate()
        .endSpec().build();
  }

  private Burst jobBurst(Pod template) throws Exception {
    Window window = new Window();
    long start = System.nanoTime();
    List<String> names = create("job-", n, name -> floorJob(template, name));
    int failed = awaitFinal(names, timeline.jobFinal, timeline.jobPhase, "Succeeded", Math.min(1200, 120 + 3L * n));
    Thread.sleep(2000);
    window.close();
    long last = names.stream().map(timeline.jobFinal::get).filter(java.util.Objects::nonNull).mapToLong(Long::longValue).max().orElse(System.nanoTime());
    say(String.format(Locale.ROOT, "  %d Jobs final in %.1f s (%d not Succeeded)", names.size(), (last - start) / 1e9, failed));
    return new Burst(false, names, start, window, failed);
  }

  /** Waits until every name is final (Play phase, or Pod phase for the floor); returns how many did not succeed. */
  private int awaitFinal(List<String> names, boolean plays, long timeoutSeconds) throws InterruptedException {
    return plays ? awaitFinal(names, timeline.playFinal, timeline.playPhase, PlayPhase.Succeeded, timeoutSeconds)
        : awaitFinal(names, timeline.podFinal, timeline.podPhase, "Succeeded", timeoutSeconds);
  }

  /** Waits until every name is in {@code finals}; returns how many did not end in {@code succeeded}. */
  private int awaitFinal(List<String> names, Map<String, Long> finals, Map<String, ?> phases, Object succeeded, long timeoutSeconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    long lastSay = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long done = names.stream().filter(finals::containsKey).count();
      if (done == names.size()) {
        break;
      }
      if (System.nanoTime() - lastSay > TimeUnit.SECONDS.toNanos(10)) {
        say("  " + done + "/" + names.size() + " final, load " + Proc.loadAverage());
        lastSay = System.nanoTime();
      }
      Thread.sleep(50);
    }
    int bad = 0;
    for (String name : names) {
      if (!succeeded.equals(phases.get(name))) {
        bad++;
      }
    }
    if (bad > 0) {
      say("  warning: " + bad + " of " + names.size() + " did not succeed (or did not finish within " + timeoutSeconds + " s)");
    }
    return bad;
  }

  private long lastFinal(List<String> names, boolean plays) {
    return names.stream().map(plays ? timeline.playFinal::get : timeline.podFinal::get).filter(java.util.Objects::nonNull)
        .mapToLong(Long::longValue).max().orElse(System.nanoTime());
  }

  // ---- the big Play ----------------------------------------------------------------------------------

  private Map<String, Object> bigPlay() throws Exception {
    String source = """
        from herologic import flow, step


        @flow(name="spans10k", inputs={"steps": {"type": "integer", "default": 10000}})
        def spans10k(steps=10000):
            for i in range(steps):
                with step("s"):
                    pass
            return {"steps": steps}
        """;
    WorkflowVersion version = new WorkflowVersion();
    version.getMetadata().setName("spans10k-v1");
    version.getMetadata().setNamespace(NS);
    version.getSpec().setWorkflow("spans10k");
    version.getSpec().setSource(source);
    cluster.admin.resource(version).create();
    Workflow workflow = new Workflow();
    workflow.getMetadata().setName("spans10k");
    workflow.getMetadata().setNamespace(NS);
    workflow.getSpec().setCurrentVersion("spans10k-v1");
    cluster.admin.resource(workflow).create();
    cluster.awaitWorkflowReady("spans10k", 60);

    Window window = new Window();
    Play play = new Play();
    play.getMetadata().setName("spans");
    play.getMetadata().setNamespace(NS);
    play.getSpec().setWorkflow("spans10k");
    play.getSpec().setInputs(new ObjectMapper().createObjectNode().put("steps", bigSpans));
    long before = System.nanoTime();
    cluster.admin.resource(play).create();
    long created = System.nanoTime();
    timeline.created.put("spans", created);
    awaitFinal(List.of("spans"), true, 600);
    Thread.sleep(2000);
    window.close();

    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", bigSpans);
    m.put("phase", String.valueOf(timeline.playPhase.get("spans")));
    String pod = timeline.podOfPlay.get("spans");
    m.put("created_to_pod_seen_ms", round(ms(timeline.podSeen.get(pod), created)));
    m.put("created_to_pod_running_ms", round(ms(timeline.podRunning.get(pod), created)));
    m.put("created_to_pod_final_ms", round(ms(timeline.podFinal.get(pod), created)));
    m.put("created_to_play_final_ms", round(ms(timeline.playFinal.get("spans"), created)));
    m.put("pod_final_to_play_final_ms", round(ms(timeline.playFinal.get("spans"), timeline.podFinal.get(pod))));
    m.put("trace_incomplete", timeline.traceIncomplete.contains("spans"));
    m.put("create_call_ms", round((created - before) / 1e6));
    m.putAll(statusSize(cluster.admin, NS, "spans"));
    Map<String, Double> requests = window.othersRequests();
    m.put("status_patches_operator_counter", window.statusPatchesCounted());
    m.put("status_patch_bytes_operator_counter", window.operatorCounter(PATCH_BYTES));
    m.put("status_writes_apiserver", statusWrites(requests));
    m.put("status_write_mean_latency_ms", statusWriteLatencyMs(window));
    m.put("operator_requests", window.flows().getOrDefault(BenchCluster.OPERATOR_FLOW_SCHEMA, 0.0));
    m.put("operator_cpu_s", round(window.cpuSeconds().get("operator")));
    m.put("operator_peak_rss_mib", window.peakReset ? round(window.peakRssKib / 1024.0) : null);
    m.put("apiserver_cpu_s", round(window.cpuSeconds().get("kube-apiserver")));
    m.put("etcd_cpu_s", round(window.cpuSeconds().get("etcd")));
    return m;
  }

  /** Sizes of a Play as the API server returns it (compact JSON, as `kubectl get -o json` receives it): what etcd holds, near enough. */
  static Map<String, Object> statusSize(KubernetesClient client, String namespace, String name) throws Exception {
    String raw = client.raw("/apis/herologic.io/v1alpha1/namespaces/" + namespace + "/plays/" + name);
    JsonNode node = new ObjectMapper().readTree(raw);
    ObjectMapper compact = new ObjectMapper();
    JsonNode status = node.path("status");
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("play_json_bytes", raw.getBytes(StandardCharsets.UTF_8).length);
    m.put("status_json_bytes", compact.writeValueAsBytes(status).length);
    m.put("managed_fields_json_bytes", compact.writeValueAsBytes(node.path("metadata").path("managedFields")).length);
    m.put("spans_in_status", status.path("spans").size());
    m.put("span_count", status.path("spanCount").asInt());
    m.put("dropped", status.has("dropped") ? new ObjectMapper().convertValue(status.path("dropped"), Map.class) : Map.of());
    m.put("duration_ms", status.path("durationMs").asLong());
    return m;
  }

  // ---- report --------------------------------------------------------------------------------------

  private void report(Burst plays, Burst floor, Map<String, Object> helloStatus, Map<String, Object> big) throws Exception {
    Timeline t = timeline;
    Function<String, String> pod = t.podOfPlay::get;
    Map<String, Stats> p = new LinkedHashMap<>();
    p.put("create call (round trip)", Stats.of(values(plays.names, name -> t.createRtt.get(name) / 1e6)));
    p.put("created -> Pod seen", Stats.of(values(plays.names, name -> ms(t.podSeen.get(pod.apply(name)), t.created.get(name)))));
    p.put("created -> Pod Running seen", Stats.of(values(plays.names, name -> ms(t.podRunning.get(pod.apply(name)), t.created.get(name)))));
    p.put("created -> Pod Succeeded seen", Stats.of(values(plays.names, name -> ms(t.podFinal.get(pod.apply(name)), t.created.get(name)))));
    p.put("created -> Play Succeeded seen", Stats.of(values(plays.names, name -> ms(t.playFinal.get(name), t.created.get(name)))));
    p.put("created -> Play Running seen", Stats.of(values(plays.names, name -> ms(t.playRunning.get(name), t.created.get(name)))));
    p.put("Pod Running -> Play Running", Stats.of(values(plays.names, name -> ms(t.playRunning.get(name), t.podRunning.get(pod.apply(name))))));
    p.put("Pod Succeeded -> Play Succeeded", Stats.of(values(plays.names, name -> ms(t.playFinal.get(name), t.podFinal.get(pod.apply(name))))));
    p.put("Pod seen -> Pod Running", Stats.of(values(plays.names, name -> ms(t.podRunning.get(pod.apply(name)), t.podSeen.get(pod.apply(name))))));
    p.put("Pod Running -> Pod Succeeded", Stats.of(values(plays.names, name -> ms(t.podFinal.get(pod.apply(name)), t.podRunning.get(pod.apply(name))))));
    Map<String, Stats> f = new LinkedHashMap<>();
    f.put("create call (round trip)", Stats.of(values(floor.names, name -> t.createRtt.get(name) / 1e6)));
    f.put("created -> Pod seen", Stats.of(values(floor.names, name -> ms(t.podSeen.get(name), t.created.get(name)))));
    f.put("created -> Pod Running seen", Stats.of(values(floor.names, name -> ms(t.podRunning.get(name), t.created.get(name)))));
    f.put("created -> Pod Succeeded seen", Stats.of(values(floor.names, name -> ms(t.podFinal.get(name), t.created.get(name)))));
    f.put("Pod seen -> Pod Running", Stats.of(values(floor.names, name -> ms(t.podRunning.get(name), t.podSeen.get(name)))));
    f.put("Pod Running -> Pod Succeeded", Stats.of(values(floor.names, name -> ms(t.podFinal.get(name), t.podRunning.get(name)))));
    double playsTotal = (lastFinal(plays.names, true) - plays.firstCreateStart) / 1e9;
    double floorTotal = (lastFinal(floor.names, false) - floor.firstCreateStart) / 1e9;

    // API requests per Play: the window's counts minus the benchmark's own; the floor's (node agent,
    // controller manager, background) per Pod subtracted again leaves what the operator adds.
    Map<String, Double> playReq = perN(plays.window.othersRequests(), n);
    Map<String, Double> floorReq = perN(floor.window.othersRequests(), n);
    Map<String, Double> operatorEst = ApiMetrics.minus(playReq, floorReq);
    Map<String, Double> playFlows = perN(plays.window.flows(), n);
    Map<String, Double> floorFlows = perN(floor.window.flows(), n);
    double operatorExact = playFlows.getOrDefault(BenchCluster.OPERATOR_FLOW_SCHEMA, 0.0);
    double operatorWritesEst = operatorWrites(operatorEst);
    double patchesCounter = plays.window.statusPatchesCounted() / n;
    double patchesApi = statusWrites(plays.window.othersRequests()) / n;
    Map<String, Double> cpuPlays = plays.window.cpuSeconds();
    Map<String, Double> cpuFloor = floor.window.cpuSeconds();

    Map<String, Object> r = new LinkedHashMap<>();
    r.put("plays", burstJson(plays, p, playsTotal, helloStatus));
    r.put("floor", burstJson(floor, f, floorTotal, null));
    Map<String, Object> ratios = new LinkedHashMap<>();
    ratios.put("pod_seen_p99", ratio(p.get("created -> Pod seen").p99(), f.get("created -> Pod seen").p99()));
    ratios.put("pod_running_p99", ratio(p.get("created -> Pod Running seen").p99(), f.get("created -> Pod Running seen").p99()));
    ratios.put("succeeded_p50", ratio(p.get("created -> Play Succeeded seen").p50(), f.get("created -> Pod Succeeded seen").p50()));
    ratios.put("succeeded_p99", ratio(p.get("created -> Play Succeeded seen").p99(), f.get("created -> Pod Succeeded seen").p99()));
    ratios.put("burst_total", ratio(playsTotal, floorTotal));
    r.put("plays_over_floor", ratios);
    Map<String, Object> api = new LinkedHashMap<>();
    api.put("per_play_in_play_window_without_bench_requests", round(playReq));
    api.put("per_pod_in_floor_window_without_bench_requests", round(floorReq));
    api.put("operator_estimate_per_play", round(operatorEst));
    api.put("operator_requests_per_play_exact", round(operatorExact));
    api.put("operator_writes_per_play_estimate", round(operatorWritesEst));
    api.put("by_flow_schema_per_play", round(playFlows));
    api.put("by_flow_schema_per_floor_pod", round(floorFlows));
    api.put("bench_own_requests_play_window", plays.window.own());
    api.put("bench_own_requests_floor_window", floor.window.own());
    api.put("status_patches_per_play_operator_counter", round(patchesCounter));
    api.put("status_writes_per_play_apiserver", round(patchesApi));
    api.put("status_patch_bytes_per_play_operator_counter", round(plays.window.operatorCounter(PATCH_BYTES) / n));
    api.put("status_write_mean_latency_ms", statusWriteLatencyMs(plays.window));
    api.put("bench_create_play_apiserver_mean_ms", plays.window.apiLatencyMs("POST herologic.io/plays"));
    api.put("bench_create_pod_apiserver_mean_ms", floor.window.apiLatencyMs("POST pods"));
    Map<String, Double> meanMs = new TreeMap<>();
    plays.window.requests().keySet().forEach(k -> {
      Double v = plays.window.apiLatencyMs(k);
      if (v != null && !k.startsWith("WATCH") && !k.startsWith("CONNECT")) {
        meanMs.put(k, v);
      }
    });
    api.put("apiserver_mean_ms_play_window", meanMs);
    r.put("api_requests", api);
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("cpu_s_play_burst", round(cpuPlays.get("operator")));
    op.put("cpu_ms_per_play", round(cpuPlays.get("operator") * 1000 / n));
    op.put("peak_rss_mib_play_burst", plays.window.peakReset ? round(plays.window.peakRssKib / 1024.0) : null);
    op.put("peak_rss_mib_since_start", round(Proc.status(cluster.operatorPid(), "VmHWM") / 1024.0));
    op.put("max_rss_mib_sampled", round(plays.window.maxRssKib / 1024.0));
    op.put("max_threads_sampled", plays.window.maxThreads);
    Window w = plays.window;
    double reconciles = w.operatorCounter(RECONCILE_COUNT);
    double reconcileSeconds = w.operatorCounter(RECONCILE_SUM);
    op.put("play_reconciles_per_play", round(reconciles / n));
    op.put("play_reconcile_mean_ms", reconciles == 0 ? null : round(reconcileSeconds / reconciles * 1000));
    op.put("play_reconcile_seconds_total", round(reconcileSeconds));
    op.put("play_reconciles_in_flight_mean", round(reconcileSeconds / w.seconds()));
    op.put("play_events_received_per_play", round(w.operatorCounter(PLAY_EVENTS) / n));
    op.put("gc_pause_s", round(w.operatorCounter(GC_PAUSE)));
    op.put("gc_pauses", w.operatorCounter(GC_COUNT));
    op.put("metrics_page_bytes_after_burst", w.operatorMetricsBytes);
    op.put("metrics_page_lines_after_burst", w.operatorMetricsLines);
    op.put("apf_queue_wait_mean_ms_operator", w.flowWaitMs(BenchCluster.OPERATOR_FLOW_SCHEMA));
    op.put("apf_queue_wait_mean_ms_benchmark", w.flowWaitMs("exempt") == null ? "n/a (exempt: never queued)" : w.flowWaitMs("exempt"));
    op.put("peak_rss_note", plays.window.peakReset ? "VmHWM reset (clear_refs 5) before the burst, read after it"
        : "could not reset VmHWM: peak since the operator started");
    r.put("operator", op);
    r.put("cpu_seconds_play_burst", round(cpuPlays));
    r.put("cpu_seconds_floor_burst", round(cpuFloor));
    r.put("big_play", big);
    results.putAll(r);
    Map<String, Object> targets = targets(p, f, operatorWritesEst, operatorExact);
    results.put("targets", targets);
    results.put("benchmark_create_retries_after_transport_errors", createRetries.get());

    printTable(p, f, playsTotal, floorTotal, plays, floor, playReq, floorReq, operatorEst, playFlows, operatorExact,
        operatorWritesEst, patchesCounter, patchesApi, cpuPlays, cpuFloor, helloStatus, big, targets);
  }

  /**
   * Plays beside Kubernetes' own Job controller doing the same job (an object in, a Pod out, status
   * back): Play -> Pod beside Job -> Pod, Play -> Succeeded beside Job -> Complete, with ratios and
   * the goals (reported, not asserted). Adds "jobs", "plays_over_jobs" and two targets to
   * results.json, and prints its own table (appended to table.txt).
   */
  private void reportJobs(Burst plays, Burst jobs) throws Exception {
    Timeline t = timeline;
    Function<String, String> playPod = t.podOfPlay::get;
    Function<String, String> jobPod = t.podOfJob::get;
    Map<String, Stats> p = new LinkedHashMap<>();
    Map<String, Stats> j = new LinkedHashMap<>();
    p.put("create call (round trip)", Stats.of(values(plays.names, name -> t.createRtt.get(name) / 1e6)));
    j.put("create call (round trip)", Stats.of(values(jobs.names, name -> t.createRtt.get(name) / 1e6)));
    p.put("created -> Pod seen", Stats.of(values(plays.names, name -> ms(t.podSeen.get(playPod.apply(name)), t.created.get(name)))));
    j.put("created -> Pod seen", Stats.of(values(jobs.names, name -> ms(t.podSeen.get(jobPod.apply(name)), t.created.get(name)))));
    p.put("created -> Pod Succeeded seen", Stats.of(values(plays.names, name -> ms(t.podFinal.get(playPod.apply(name)), t.created.get(name)))));
    j.put("created -> Pod Succeeded seen", Stats.of(values(jobs.names, name -> ms(t.podFinal.get(jobPod.apply(name)), t.created.get(name)))));
    p.put("created -> Succeeded seen", Stats.of(values(plays.names, name -> ms(t.playFinal.get(name), t.created.get(name)))));
    j.put("created -> Succeeded seen", Stats.of(values(jobs.names, name -> ms(t.jobFinal.get(name), t.created.get(name)))));
    p.put("Pod Succeeded -> Succeeded seen", Stats.of(values(plays.names, name -> ms(t.playFinal.get(name), t.podFinal.get(playPod.apply(name))))));
    j.put("Pod Succeeded -> Succeeded seen", Stats.of(values(jobs.names, name -> ms(t.jobFinal.get(name), t.podFinal.get(jobPod.apply(name))))));
    Map<String, Object> jobJson = new LinkedHashMap<>();
    jobJson.put("count", jobs.names.size());
    jobJson.put("not_succeeded", jobs.failed);
    Map<String, Object> lat = new LinkedHashMap<>();
    j.forEach((k, v) -> lat.put(k, v.json()));
    jobJson.put("latency", lat);
    jobJson.put("api_requests_per_job_without_bench_requests", round(perN(jobs.window.othersRequests(), n)));
    results.put("jobs", jobJson);
    Map<String, Object> ratios = new LinkedHashMap<>();
    p.forEach((k, v) -> {
      Map<String, Object> r = new LinkedHashMap<>(); // a ratio is null when the Jobs' figure is 0
      r.put("p50", ratio(v.p50(), j.get(k).p50()));
      r.put("p99", ratio(v.p99(), j.get(k).p99()));
      ratios.put(k, r);
    });
    results.put("plays_over_jobs", ratios);
    @SuppressWarnings("unchecked")
    Map<String, Object> targets = (Map<String, Object>) results.get("targets");
    double pod = p.get("created -> Pod seen").p99();
    double jobPodP99 = j.get("created -> Pod seen").p99();
    targets.put("play_to_pod_p99_at_most_job_to_pod_p99", Map.of("play_ms", round(pod), "job_ms", round(jobPodP99), "met", pod <= jobPodP99));
    double done = p.get("created -> Succeeded seen").p99();
    double jobDone = j.get("created -> Succeeded seen").p99();
    targets.put("play_succeeded_p99_at_most_1.1x_job_complete_p99", Map.of("play_ms", round(done), "job_ms", round(jobDone),
        "ratio", String.valueOf(ratio(done, jobDone)), "met", done <= 1.1 * jobDone));

    StringBuilder s = new StringBuilder();
    s.append('\n').append(String.format(Locale.ROOT, "Plays beside Jobs (%d each; the same Pod spec; Jobs run by kube-controller-manager's Job controller)%n", n));
    s.append(String.format(Locale.ROOT, "%-36s %6s %6s %6s %7s   %6s %6s %6s %7s   %5s %5s%n", "latency (ms)", "p50", "p95", "p99", "max",
        "p50", "p95", "p99", "max", "P/J50", "P/J99"));
    s.append(String.format(Locale.ROOT, "%-36s %28s   %28s%n", "", "Plays", "Jobs"));
    p.forEach((k, a) -> {
      Stats b = j.get(k);
      s.append(String.format(Locale.ROOT, "%-36s %6s %6s %6s %7s   %6s %6s %6s %7s   %5s %5s%n", k, num(a.p50()), num(a.p95()), num(a.p99()), num(a.max()),
          num(b.p50()), num(b.p95()), num(b.p99()), num(b.max()), ratioText(a.p50(), b.p50()), ratioText(a.p99(), b.p99())));
    });
    s.append(String.format(Locale.ROOT, "%-36s %28s   %28s%n", "not Succeeded", plays.failed, jobs.failed));
    s.append("goal Play -> Pod p99 <= Job -> Pod p99: ").append(targets.get("play_to_pod_p99_at_most_job_to_pod_p99")).append('\n');
    s.append("goal Play -> Succeeded p99 <= 1.1 x Job -> Complete p99: ").append(targets.get("play_succeeded_p99_at_most_1.1x_job_complete_p99")).append('\n');
    System.out.print(s);
    Files.writeString(out.resolve("table.txt"), s.toString(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> targets(Map<String, Stats> p, Map<String, Stats> f, double writes, double operatorExact) {
    Map<String, Object> t = new LinkedHashMap<>();
    double podRatio = p.get("created -> Pod seen").p99() / f.get("created -> Pod seen").p99();
    t.put("play_to_pod_p99_within_1.5x_floor", Map.of("value", round(podRatio), "met", podRatio <= 1.5,
        "note", "Play created -> its Pod seen, over plain Pod created -> seen (the floor is only the watch delay)"));
    double runRatio = p.get("created -> Pod Running seen").p99() / f.get("created -> Pod Running seen").p99();
    t.put("play_to_pod_running_p99_within_1.5x_floor", Map.of("value", round(runRatio), "met", runRatio <= 1.5));
    t.put("api_writes_per_10_span_play_at_most_5", Map.of("value", round(writes), "met", writes <= 5));
    Object cost = results.get("sdk_span_cost");
    Double sdkRatio = null;
    if (cost instanceof Map<?, ?> m && m.get("ratios") instanceof Map<?, ?> ratios && ratios.get("herologic_over_otel_console") instanceof Number x) {
      sdkRatio = x.doubleValue();
    }
    t.put("sdk_cost_at_most_half_of_otel", sdkRatio == null ? Map.of("met", "not measured (no opentelemetry-sdk)")
        : Map.of("value", sdkRatio, "met", sdkRatio <= 0.5));
    return t;
  }

  private void printTable(Map<String, Stats> p, Map<String, Stats> f, double playsTotal, double floorTotal, Burst plays, Burst floor,
      Map<String, Double> playReq, Map<String, Double> floorReq, Map<String, Double> operatorEst, Map<String, Double> playFlows,
      double operatorExact, double operatorWritesEst, double patchesCounter, double patchesApi, Map<String, Double> cpuPlays,
      Map<String, Double> cpuFloor, Map<String, Object> helloStatus, Map<String, Object> big, Map<String, Object> targets) {
    @SuppressWarnings("unchecked")
    Map<String, Object> machine = (Map<String, Object>) results.get("machine");
    StringBuilder s = new StringBuilder();
    Consumer<String> line = text -> s.append(text).append('\n');
    line.accept("");
    line.accept("=== hero-logic benchmark " + "=".repeat(80));
    line.accept(String.format(Locale.ROOT, "machine: %s CPUs (%s), %s MiB, kernel %s, %s, pods' %s; commit %s (+%s uncommitted paths)",
        machine.get("nproc"), machine.get("cpu_model"), machine.get("memory_total_mib"), machine.get("kernel"), machine.get("java"),
        machine.get("python_in_pods"), abbrev(machine.get("git_commit")), machine.get("git_uncommitted_paths")));
    line.accept("load average (1/5/15 min): " + load);
    line.accept(String.format(Locale.ROOT, "burst: %d Plays of hello (steps=%d -> %s spans each), created from %d threads; floor: %d Pods with the operator's Pod spec, no operator",
        n, helloSteps, helloStatus.get("span_count"), concurrency, n));
    line.accept("times: the benchmark's monotonic clock. 'created' = the create call returned; 'seen' = the benchmark's informer (watch)");
    line.accept("       delivered the object / the update into that phase. Percentiles are nearest-rank over the " + n + " objects.");
    line.accept("");
    line.accept(String.format(Locale.ROOT, "%-40s %28s   %28s   %s", "latency (ms)", "Plays (through the operator)", "floor (plain Pods)", "Plays/floor"));
    line.accept(String.format(Locale.ROOT, "%-40s %6s %6s %6s %7s   %6s %6s %6s %7s   %5s %5s", "", "p50", "p95", "p99", "max", "p50", "p95", "p99", "max", "p50", "p99"));
    String[][] rows = {
        {"create call (round trip)", "create call (round trip)"},
        {"created -> Pod seen", "created -> Pod seen"},
        {"created -> Pod Running seen", "created -> Pod Running seen"},
        {"created -> Pod Succeeded seen", "created -> Pod Succeeded seen"},
        {"created -> Play Running seen", null},
        {"created -> Play Succeeded seen", "created -> Pod Succeeded seen"},
        {"Pod seen -> Pod Running", "Pod seen -> Pod Running"},
        {"Pod Running -> Pod Succeeded", "Pod Running -> Pod Succeeded"},
        {"Pod Running -> Play Running", null},
        {"Pod Succeeded -> Play Succeeded", null},
    };
    for (String[] row : rows) {
      Stats a = p.get(row[0]);
      Stats b = row[1] == null ? null : f.get(row[1]);
      String label = row[0].equals("created -> Play Succeeded seen") ? "created -> Play Succeeded (floor: Pod)" : row[0];
      line.accept(String.format(Locale.ROOT, "%-40s %6s %6s %6s %7s   %6s %6s %6s %7s   %5s %5s", label,
          num(a.p50()), num(a.p95()), num(a.p99()), num(a.max()),
          b == null ? "" : num(b.p50()), b == null ? "" : num(b.p95()), b == null ? "" : num(b.p99()), b == null ? "" : num(b.max()),
          b == null ? "" : ratioText(a.p50(), b.p50()), b == null ? "" : ratioText(a.p99(), b.p99())));
    }
    line.accept(String.format(Locale.ROOT, "%-40s %27.1fs   %27.1fs   %11s", "burst: first create -> last final", playsTotal, floorTotal,
        ratioText(playsTotal, floorTotal)));
    line.accept(String.format(Locale.ROOT, "%-40s %28s   %28s", "not Succeeded", plays.failed, floor.failed));
    line.accept(String.format(Locale.ROOT, "the benchmark's create calls as the API server timed them (mean): POST plays %s ms, POST pods %s ms;"
        + " the rest of the round trip is transport and CPU scheduling", plays.window.apiLatencyMs("POST herologic.io/plays"), floor.window.apiLatencyMs("POST pods")));
    line.accept(String.format(Locale.ROOT, "operator trouble in the burst: %d Plays with TraceIncomplete (log not read to its end), %.0f reconcile errors,"
        + " %d log lines 'Connection was closed', %d failed log followers",
        plays.names.stream().filter(timeline.traceIncomplete::contains).count(), plays.window.operatorCounter("herologic_reconcile_errors_total"),
        plays.window.logLines("Connection was closed"), plays.window.logLines("log follower for")));
    line.accept("");
    line.accept("API requests per Play (API server's apiserver_request_total, delta over the burst window / " + n + ", the benchmark's own");
    line.accept("requests subtracted: it counts every request its client sends, by the same verb/resource key; 'API ms (P)' = mean");
    line.accept("apiserver_request_duration_seconds of that request in the Play window)");
    line.accept(String.format(Locale.ROOT, "%-46s %12s %12s %15s %11s", "verb resource", "Play window", "floor window", "operator (est.)", "API ms (P)"));
    Map<String, Double> latSum = plays.window.latencySum();
    Map<String, Double> allReq = plays.window.requests();
    TreeSet<String> keys = new TreeSet<>();
    keys.addAll(playReq.keySet());
    keys.addAll(floorReq.keySet());
    for (String key : keys) {
      double a = playReq.getOrDefault(key, 0.0);
      double b = floorReq.getOrDefault(key, 0.0);
      if (Math.abs(a) < 0.05 && Math.abs(b) < 0.05) {
        continue;
      }
      double count = allReq.getOrDefault(key, 0.0);
      String lat = count == 0 || key.startsWith("WATCH") || key.startsWith("CONNECT") ? "" : String.format(Locale.ROOT, "%.1f", latSum.getOrDefault(key, 0.0) / count * 1000);
      line.accept(String.format(Locale.ROOT, "%-46s %12.2f %12.2f %15.2f %11s%s", key, a, b, operatorEst.getOrDefault(key, 0.0), lat,
          ApiMetrics.isWrite(key) ? "  write" : ""));
    }
    line.accept(String.format(Locale.ROOT, "%-46s %12.2f %12.2f %15.2f", "total", ApiMetrics.sum(playReq), ApiMetrics.sum(floorReq), ApiMetrics.sum(operatorEst)));
    line.accept(String.format(Locale.ROOT, "operator's requests per Play, exact (APF flow schema '%s' = the operator's ServiceAccount only): %.2f",
        BenchCluster.OPERATOR_FLOW_SCHEMA, operatorExact));
    line.accept("requests per Play by client identity (APF flow schema): " + fmt(playFlows));
    line.accept(String.format(Locale.ROOT, "operator's API writes per Play (estimate: Play window - floor window, writes only): %.2f", operatorWritesEst));
    line.accept(String.format(Locale.ROOT, "status patches per Play: operator counter herologic_status_patches_total %.2f; API server plays/status writes %.2f; mean API latency of one %s ms",
        patchesCounter, patchesApi, statusWriteLatencyMs(plays.window)));
    line.accept(String.format(Locale.ROOT, "status bytes written per Play (operator counter %s): %.0f", PATCH_BYTES, plays.window.operatorCounter(PATCH_BYTES) / n));
    line.accept(String.format(Locale.ROOT, "status of one hello Play: %s bytes of Play JSON (%s status, %s managedFields), %s spans",
        helloStatus.get("play_json_bytes"), helloStatus.get("status_json_bytes"), helloStatus.get("managed_fields_json_bytes"), helloStatus.get("spans_in_status")));
    line.accept("");
    line.accept(String.format(Locale.ROOT, "operator during the Play burst: %.2f CPU s (%.1f ms per Play), peak RSS %s MiB (VmHWM%s), max %d threads; %.1f s window",
        cpuPlays.get("operator"), cpuPlays.get("operator") * 1000 / n,
        round(plays.window.peakRssKib / 1024.0), plays.window.peakReset ? ", reset before the burst" : " since start", plays.window.maxThreads, plays.window.seconds()));
    Map<?, ?> op = (Map<?, ?>) results.get("operator");
    line.accept(String.format(Locale.ROOT, "  Play reconciles: %s per Play, mean %s ms each, %s in flight on average; %s JOSDK events received per Play;",
        op.get("play_reconciles_per_play"), op.get("play_reconcile_mean_ms"), op.get("play_reconciles_in_flight_mean"), op.get("play_events_received_per_play")));
    line.accept(String.format(Locale.ROOT, "  GC: %s pauses, %s s; /q/metrics after the burst: %s lines, %s bytes; API fairness-queue wait per request: operator %s ms, benchmark %s ms",
        op.get("gc_pauses"), op.get("gc_pause_s"), op.get("metrics_page_lines_after_burst"), op.get("metrics_page_bytes_after_burst"),
        op.get("apf_queue_wait_mean_ms_operator"), op.get("apf_queue_wait_mean_ms_benchmark")));
    line.accept(String.format(Locale.ROOT, "%-36s %10s %10s", "CPU seconds in the window", "Plays", "floor"));
    for (String k : cpuPlays.keySet()) {
      line.accept(String.format(Locale.ROOT, "%-36s %10.2f %10.2f", k, cpuPlays.get(k), cpuFloor.getOrDefault(k, Double.NaN)));
    }
    line.accept(String.format(Locale.ROOT, "%-36s %9.1fs %9.1fs", "window", plays.window.seconds(), floor.window.seconds()));
    line.accept("");
    line.accept(String.format(Locale.ROOT, "Play of %s steps: %s in %s ms from create (Pod ended -> Play final %s ms; flow ran %s ms);",
        big.get("steps"), big.get("phase"), big.get("created_to_play_final_ms"), big.get("pod_final_to_play_final_ms"), big.get("duration_ms")));
    line.accept(String.format(Locale.ROOT, "  Play JSON %s bytes (status %s, managedFields %s), %s of %s spans kept, dropped %s;",
        big.get("play_json_bytes"), big.get("status_json_bytes"), big.get("managed_fields_json_bytes"), big.get("spans_in_status"),
        big.get("span_count"), big.get("dropped")));
    line.accept(String.format(Locale.ROOT, "  status patches: %s (operator counter, %s bytes in all), %s (API server), mean API latency %s ms; operator %s requests, %s CPU s",
        big.get("status_patches_operator_counter"), big.get("status_patch_bytes_operator_counter"), big.get("status_writes_apiserver"), big.get("status_write_mean_latency_ms"),
        big.get("operator_requests"), big.get("operator_cpu_s")));
    line.accept("");
    Object cost = results.get("sdk_span_cost");
    if (cost instanceof Map<?, ?> c && c.get("variants") instanceof Map<?, ?> variants) {
      line.accept(String.format(Locale.ROOT, "SDK cost per span (python %s, opentelemetry-sdk %s; empty `with` block, best of %s rounds of %s, interleaved):",
          c.get("python"), c.get("opentelemetry_sdk"), c.get("rounds"), c.get("spans_per_round")));
      variants.forEach((k, v) -> line.accept(String.format(Locale.ROOT, "  %-22s %8s ns  (median %s ns)", k, ((Map<?, ?>) v).get("best_ns"), ((Map<?, ?>) v).get("median_ns"))));
      line.accept("  herologic / otel_console = " + ((Map<?, ?>) c.get("ratios")).get("herologic_over_otel_console")
          + "  (otel_console: SimpleSpanProcessor + ConsoleSpanExporter, one compact JSON line per span, to /dev/null;"
          + " herologic: 2 event lines per span to /dev/null)");
    } else {
      line.accept("SDK cost per span: " + cost);
    }
    line.accept("");
    line.accept("targets (reported, not asserted):");
    targets.forEach((k, v) -> line.accept("  " + k + ": " + v));
    line.accept("results: " + out.resolve("results.json"));
    System.out.print(s);
    try {
      Files.writeString(out.resolve("table.txt"), s.toString());
    } catch (java.io.IOException e) {
      // the table is printed anyway
    }
  }

  private Map<String, Object> burstJson(Burst b, Map<String, Stats> stats, double total, Map<String, Object> status) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", b.names.size());
    m.put("not_succeeded", b.failed);
    m.put("burst_total_s", round(total));
    m.put("throughput_per_s", round(b.names.size() / total));
    Map<String, Object> lat = new LinkedHashMap<>();
    stats.forEach((k, v) -> lat.put(k, v.json()));
    m.put("latency", lat);
    m.put("window_s", round(b.window.seconds()));
    if (b.plays) {
      m.put("trace_incomplete", b.names.stream().filter(timeline.traceIncomplete::contains).count());
      m.put("operator_reconcile_errors", b.window.operatorCounter("herologic_reconcile_errors_total"));
      m.put("operator_log_connection_was_closed", b.window.logLines("Connection was closed"));
      m.put("operator_log_followers_failed", b.window.logLines("log follower for"));
    }
    if (status != null) {
      m.put("one_play_status", status);
    }
    // Every object's timeline, ms from the burst's first create call: for a later look at rates and queues.
    m.put("timeline_columns", b.plays
        ? List.of("name", "created", "pod_seen", "pod_running", "pod_final", "play_running", "play_final")
        : List.of("name", "created", "pod_seen", "pod_running", "pod_final"));
    List<List<Object>> rows = new ArrayList<>();
    for (String name : b.names) {
      String pod = b.plays ? timeline.podOfPlay.get(name) : name;
      List<Object> row = new ArrayList<>(List.of(name));
      row.add(round(ms(timeline.created.get(name), b.firstCreateStart)));
      row.add(pod == null ? null : round(ms(timeline.podSeen.get(pod), b.firstCreateStart)));
      row.add(pod == null ? null : round(ms(timeline.podRunning.get(pod), b.firstCreateStart)));
      row.add(pod == null ? null : round(ms(timeline.podFinal.get(pod), b.firstCreateStart)));
      if (b.plays) {
        row.add(round(ms(timeline.playRunning.get(name), b.firstCreateStart)));
        row.add(round(ms(timeline.playFinal.get(name), b.firstCreateStart)));
      }
      rows.add(row);
    }
    m.put("timeline", rows);
    return m;
  }

  private Map<String, Object> method() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("clock", "System.nanoTime() of the benchmark JVM; API timestamps (second-granular) are not used");
    m.put("created", "local time when the create call returned (its round trip is reported separately)");
    m.put("seen", "local time when the benchmark's informer (a watch on the namespace) delivered the object's first ADD, or the first update into that phase");
    m.put("pod_running", "first Pod update with phase Running, Succeeded or Failed");
    m.put("play_running", "first Play update with phase Running or final (a Play may skip Running in status)");
    m.put("floor", "the Pod spec of a warm-up Play's Pod copied, with a new name, no owner, no operator labels, nodeName/priority/tolerations removed (so admission and the node agent's scheduler treat it like the operator's)");
    m.put("api_requests", "apiserver_request_total summed over codes, delta over each burst window (first create to 2 s after the last final), "
        + "minus the benchmark's own requests (counted client-side by a Fabric8 interceptor with the same verb/resource key), divided by N. "
        + "'operator (est.)' = Play window - floor window per object. The operator's exact total comes from "
        + "apiserver_flowcontrol_dispatched_requests_total{flow_schema=service-accounts}: the operator authenticates with a ServiceAccount token, "
        + "the benchmark with the admin certificate (exempt), the node agent as system:node (system-nodes/system-node-high) and kube-scheduler, "
        + "the controller manager with kube-system service accounts");
    m.put("status_patches", "herologic_status_patches_total from the operator's /q/metrics, and plays/status writes (APPLY/PATCH/PUT) at the API server");
    m.put("cpu", "utime+stime from /proc/<pid>/stat of each process over the window; the node agent's children (the flow Pods' processes) from cutime+cstime; machine busy from /proc/stat");
    m.put("memory", "operator VmHWM from /proc/<pid>/status, reset with clear_refs before the burst; VmRSS and Threads sampled every 100 ms");
    m.put("warm_up", warmUp + " Plays and " + warmUp + " floor Pods before the bursts, not measured");
    return m;
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private static double statusWrites(Map<String, Double> requests) {
    return requests.entrySet().stream().filter(e -> e.getKey().endsWith(" herologic.io/plays/status") && ApiMetrics.isWrite(e.getKey()))
        .mapToDouble(Map.Entry::getValue).sum();
  }

  private static Double statusWriteLatencyMs(Window w) {
    Map<String, Double> sum = w.latencySum();
    Map<String, Double> count = w.requests();
    double s = 0;
    double c = 0;
    for (var e : sum.entrySet()) {
      if (e.getKey().endsWith(" herologic.io/plays/status") && ApiMetrics.isWrite(e.getKey())) {
        s += e.getValue();
        c += count.getOrDefault(e.getKey(), 0.0);
      }
    }
    return c == 0 ? null : round(s / c * 1000);
  }

  private static double operatorWrites(Map<String, Double> perPlay) {
    return perPlay.entrySet().stream().filter(e -> ApiMetrics.isWrite(e.getKey())).mapToDouble(Map.Entry::getValue).sum();
  }

  private static Collection<Double> values(List<String> names, Function<String, Double> f) {
    List<Double> v = new ArrayList<>();
    for (String name : names) {
      try {
        Double d = f.apply(name);
        if (d != null) {
          v.add(d);
        }
      } catch (NullPointerException missing) {
        // that object never reached the phase
      }
    }
    return v;
  }

  private static Double ms(Long to, Long from) {
    return to == null || from == null ? null : (to - from) / 1e6;
  }

  private static Map<String, Double> perN(Map<String, Double> m, int n) {
    Map<String, Double> r = new TreeMap<>();
    m.forEach((k, v) -> r.put(k, v / n));
    return r;
  }

  private static Map<String, Double> round(Map<String, Double> m) {
    Map<String, Double> r = new TreeMap<>();
    m.forEach((k, v) -> r.put(k, round(v)));
    return r;
  }

  static Double round(Double v) {
    return v == null || v.isNaN() || v.isInfinite() ? null : Math.round(v * 100) / 100.0;
  }

  private static Double ratio(double a, double b) {
    return b > 0 ? round(a / b) : null;
  }

  private static String ratioText(double a, double b) {
    Double r = b >= 1 ? ratio(a, b) : null; // a floor under 1 ms makes any ratio meaningless
    return r == null ? "-" : String.format(Locale.ROOT, "%.1fx", r);
  }

  private static String num(double v) {
    return Double.isNaN(v) ? "-" : v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String fmt(Map<String, Double> m) {
    StringBuilder s = new StringBuilder();
    m.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(String.format(Locale.ROOT, "%.2f", v)));
    return s.toString();
  }

  private static String abbrev(Object commit) {
    return commit == null ? "?" : commit.toString().substring(0, Math.min(12, commit.toString().length()));
  }

  private static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }

  private static void say(String text) {
    System.out.printf(Locale.ROOT, "[bench %6.1fs] %s%n", (System.nanoTime() - START) / 1e9, text);
  }

  static Path findRepo() {
    String configured = System.getProperty("herologic.repo.root");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("devcluster/Makefile")) && Files.exists(p.resolve("crds"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
  }
}
