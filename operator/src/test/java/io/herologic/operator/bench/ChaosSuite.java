package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.herologic.model.Play;
import io.herologic.model.Span;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * hero-logic's chaos suite (`make chaos`): on a devcluster of its own, a burst of 100 Plays of
 * flows/bench/chaos_steady.py (10-20 spans, 10-40 s each, varied) and 3 of chaos_hostile.py
 * (forged seq near 2^31 and 2^63 in the real event pipe, forged span ids and a root span_end
 * from a subprocess, 100 MB of output); while they run the operator is SIGKILLed 5 times
 * (restarted each time) and the kube-apiserver and the node agent are restarted once each. Then
 * it checks what must hold, prints a table, writes target/chaos/results.json and exits 1 when a
 * check failed (2 when the suite itself could not run).
 *
 * <p>Environment: CHAOS_PLAYS (default 100), CHAOS_OPERATOR_KILLS (5), CHAOS_SEED (random),
 * CHAOS_HOSTILE_MB (100), CHAOS_OUT (target/chaos), BENCH_KEEP_CLUSTER=1 (leave devcluster running), CHAOS_FAULTS
 * (a fixed schedule such as "apiserver,kill,agent", or "none": the same Plays and checks without faults, to tell one
 * fault's effect apart).
 */
public final class ChaosSuite {
  static final String NS = "hl-chaos";
  /** The Helm chart's memory limit for the operator (helm/hero-logic/values.yaml). */
  static final long CHART_LIMIT_MIB = 768;
  /** The chart's heap: MaxRAMPercentage=60 of that limit. */
  static final String OPERATOR_HEAP = "460m";
  /** A Play is stuck when it is not final this long (with the operator and API server up) after its Pod ended. */
  static final long STUCK_AFTER_S = 30;
  /** The status budget (README, "Status budget"): near 1 MiB at most, at most 2,000 spans. */
  static final long STATUS_BUDGET_BYTES = 1024 * 1024;
  static final int SPAN_BUDGET = 2000;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final long START = System.nanoTime();

  private record Steady(String name, int steps, int logs, int seconds) {}

  private final Path repo;
  private final Path out;
  private final int plays = intEnv("CHAOS_PLAYS", 100);
  private final int operatorKills = intEnv("CHAOS_OPERATOR_KILLS", 5);
  private final int hostileMb = intEnv("CHAOS_HOSTILE_MB", 100);
  private final long seed = System.getenv("CHAOS_SEED") == null ? System.currentTimeMillis() : Long.parseLong(System.getenv("CHAOS_SEED"));
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<String> failures = new ArrayList<>();
  private final List<String[]> table = new ArrayList<>();
  private BenchCluster cluster;
  private Timeline timeline;
  private FaultInjector faults;
  private long burstAt;

  private ChaosSuite(Path repo) {
    this.repo = repo;
    String dir = System.getenv("CHAOS_OUT");
    this.out = dir == null || dir.isBlank() ? repo.resolve("target/chaos") : repo.resolve(dir);
  }

  public static void main(String[] args) {
    int code;
    try {
      code = new ChaosSuite(PlayBenchmark.findRepo()).run() ? 0 : 1;
    } catch (Exception e) {
      e.printStackTrace();
      code = 2;
    }
    System.exit(code);
  }

  private boolean run() throws Exception {
    Files.createDirectories(out);
    results.put("started_at", Instant.now().toString());
    results.put("machine", Proc.machine(repo));
    results.put("settings", Map.of("plays", plays, "hostile_plays", 3, "operator_kills", operatorKills, "seed", seed,
        "hostile_mb", hostileMb, "operator_heap", OPERATOR_HEAP, "namespace", NS));
    Random random = new Random(seed);
    try (BenchCluster c = new BenchCluster(repo, out, NS)) {
      cluster = c;
      say("starting devcluster in " + c.stateDir + " (seed " + seed + ")");
      c.up();
      c.installCrdsAndNamespace();
      Path kubeconfig = c.operatorKubeconfig();
      c.createBenchWorkflow("chaos-steady", "chaos_steady.py");
      c.createBenchWorkflow("chaos-hostile", "chaos_hostile.py");
      say("starting the operator, log " + out.resolve("operator.log"));
      c.startOperator(kubeconfig, OPERATOR_HEAP);
      c.awaitWorkflowReady("chaos-steady", 120);
      c.awaitWorkflowReady("chaos-hostile", 120);
      try (Timeline t = new Timeline(c.admin, NS); FaultInjector f = new FaultInjector(c, kubeconfig, OPERATOR_HEAP, ChaosSuite::say)) {
        timeline = t;
        faults = f;
        List<Steady> steady = steadyPlays();
        Map<String, String> hostile = Map.of("hostile-seq", "seq", "hostile-forge", "forge", "hostile-flood", "flood");
        say("burst: " + steady.size() + " chaos-steady Plays and " + hostile.size() + " hostile ones");
        burstAt = System.nanoTime();
        createAll(steady, hostile);
        List<String> schedule = FaultInjector.schedule(System.getenv("CHAOS_FAULTS"), random, operatorKills);
        results.put("faults", schedule);
        Thread.sleep(2000 + random.nextInt(6000));
        for (String fault : schedule) {
          f.reviveIfDead();
          f.inject(fault);
          Thread.sleep(2000 + random.nextInt(8000));
        }
        awaitEnd(steady, hostile.keySet());
        f.reviveIfDead();
        check(steady, hostile);
      }
    } finally {
      results.put("failures", failures);
      Files.writeString(out.resolve("results.json"), JSON.writeValueAsString(results));
      say("wrote " + out.resolve("results.json"));
    }
    printTable();
    return failures.isEmpty();
  }

  // ---- set-up --------------------------------------------------------------------------------------

  /** Varied so that Plays end at different times: 10-20 steps, 2-4 log lines per step, 10-40 s. */
  private List<Steady> steadyPlays() {
    List<Steady> list = new ArrayList<>();
    for (int i = 0; i < plays; i++) {
      list.add(new Steady(String.format("steady-%03d", i), 10 + (i * 7) % 11, 2 + i % 3, 10 + (i * 13) % 31));
    }
    return list;
  }

  private void createAll(List<Steady> steady, Map<String, String> hostile) throws Exception {
    List<Play> all = new ArrayList<>();
    for (Steady s : steady) {
      all.add(play(s.name, "chaos-steady", JSON.createObjectNode().put("steps", s.steps).put("logs", s.logs).put("seconds", s.seconds)));
    }
    hostile.forEach((name, mode) -> all.add(play(name, "chaos-hostile", JSON.createObjectNode().put("mode", mode).put("megabytes", hostileMb))));
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (Play p : all) {
        done.add(pool.submit(() -> {
          cluster.admin.resource(p).create();
          timeline.created.put(p.getMetadata().getName(), System.nanoTime());
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static Play play(String name, String workflow, ObjectNode inputs) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(NS);
    play.getSpec().setWorkflow(workflow);
    play.getSpec().setInputs(inputs);
    return play;
  }

  /** Until every Play is final, or every unfinished one is past its stuck deadline, or 6 minutes. */
  private void awaitEnd(List<Steady> steady, java.util.Set<String> hostile) throws Exception {
    List<String> names = new ArrayList<>(hostile);
    steady.forEach(s -> names.add(s.name));
    long hardDeadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(6);
    long lastReport = 0;
    while (System.nanoTime() < hardDeadline) {
      faults.reviveIfDead();
      long now = System.nanoTime();
      List<String> open = names.stream().filter(n -> !timeline.playFinal.containsKey(n)).toList();
      if (open.isEmpty()) {
        return;
      }
      boolean anyCanStillFinish = open.stream().anyMatch(n -> {
        Long podEnd = podEnd(n);
        return podEnd == null || faults.availableNanos(podEnd, now) < TimeUnit.SECONDS.toNanos(STUCK_AFTER_S + 5);
      });
      if (!anyCanStillFinish) {
        return;
      }
      if (now - lastReport > TimeUnit.SECONDS.toNanos(15)) {
        say(open.size() + " Plays not final yet, e.g. " + open.subList(0, Math.min(5, open.size())));
        lastReport = now;
      }
      Thread.sleep(500);
    }
  }

  /** When the suite saw the Play's (first) Pod end, or null. */
  private Long podEnd(String play) {
    String pod = timeline.podOfPlay.get(play);
    return pod == null ? null : timeline.podFinal.get(pod);
  }

  // ---- checks --------------------------------------------------------------------------------------

  private void check(List<Steady> steady, Map<String, String> hostile) throws Exception {
    List<String> stuck = new ArrayList<>();
    List<Double> latencyMs = new ArrayList<>();
    List<Double> netLatencyMs = new ArrayList<>();
    List<String> names = new ArrayList<>(hostile.keySet());
    steady.forEach(s -> names.add(s.name));
    for (String name : names) {
      Long podEnd = podEnd(name);
      Long playFinal = timeline.playFinal.get(name);
      if (podEnd == null) {
        if (playFinal == null) {
          stuck.add(name + " (no Pod ended, Play not final)");
        }
        continue;
      }
      if (playFinal == null) {
        stuck.add(name + " (Pod " + timeline.podOfPlay.get(name) + " ended, Play never final: " + describePlay(name) + ")");
        continue;
      }
      latencyMs.add((playFinal - podEnd) / 1e6);
      long net = faults.availableNanos(podEnd, Math.max(podEnd, playFinal));
      netLatencyMs.add(net / 1e6);
      if (net > TimeUnit.SECONDS.toNanos(STUCK_AFTER_S)) {
        stuck.add(name + " (final " + Math.round(net / 1e9) + " s after its Pod ended, outages excluded)");
      }
    }
    check("Plays stuck (not final " + STUCK_AFTER_S + " s after Pod end, outages excluded)", stuck.size(), 0, stuck);

    // Spans and log lines of each honest Play against what its flow emitted.
    int spansLost = 0;
    int spansDoubled = 0;
    int logsLost = 0;
    int logsDoubled = 0;
    int fromLog = 0;
    List<String> inexact = new ArrayList<>();
    List<String> unverifiable = new ArrayList<>();
    Map<String, Object> perPlay = new LinkedHashMap<>();
    for (Steady s : steady) {
      Play play = cluster.admin.resources(Play.class).inNamespace(NS).withName(s.name).get();
      String podPhase = podPhase(s.name);
      Map<String, List<String>> expected;
      if ("Succeeded".equals(podPhase)) {
        expected = SpanAudit.steadyShape(s.steps, s.logs);
      } else {
        String log = neverRan(s.name) ? "" : podLog(s.name);
        if (log == null) {
          unverifiable.add(s.name + " (Pod " + podPhase + ", log unreadable; " + describePlay(s.name) + ")");
          continue;
        }
        expected = SpanAudit.fromPodLog(log);
        fromLog++;
      }
      List<Span> spans = play == null || play.getStatus() == null ? null : play.getStatus().getSpans();
      SpanAudit.Result r = SpanAudit.compare(expected, SpanAudit.fromStatus(spans));
      spansLost += r.spansLost();
      spansDoubled += r.spansDoubled();
      logsLost += r.logsLost();
      logsDoubled += r.logsDoubled();
      if (!r.exact()) {
        inexact.add(s.name + ": " + r.describe() + "; Pod " + podPhase + "; " + describePlay(s.name) + "; " + diagnosis(s.name));
      }
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("pod_phase", podPhase);
      one.put("play_phase", timeline.playPhase.get(s.name));
      one.put("expected_from", "Succeeded".equals(podPhase) ? "flow shape" : "pod log");
      one.put("audit", r);
      one.put("pod_end_s_after_burst", secondsAfterBurst(podEnd(s.name)));
      one.put("play_final_s_after_burst", secondsAfterBurst(timeline.playFinal.get(s.name)));
      perPlay.put(s.name, one);
    }
    results.put("honest_plays", perPlay);
    results.put("honest_plays_checked_against_pod_log", fromLog);
    check("spans lost or doubled (honest Plays)", spansLost + spansDoubled, 0, inexact);
    check("log lines lost or doubled (honest Plays)", logsLost + logsDoubled, 0, inexact);
    check("honest Plays whose expectation could not be read", unverifiable.size(), 0, unverifiable);
    table.add(new String[] {"  honest Plays checked against their Pod's log (Pod ended early)", String.valueOf(fromLog), "", "measured"});

    List<String> duplicates = new ArrayList<>();
    int extraPods = 0;
    for (String name : names) {
      int n = timeline.podsOfPlay.getOrDefault(name, java.util.Set.of()).size();
      if (n > 1) {
        extraPods += n - 1;
        duplicates.add(name + ": Pods " + timeline.podsOfPlay.get(name));
      }
    }
    check("duplicate Pods per Play (extra Pods)", extraPods, 0, duplicates);

    Stats raw = Stats.of(latencyMs);
    Stats net = Stats.of(netLatencyMs);
    results.put("pod_end_to_play_final", raw.json());
    results.put("pod_end_to_play_final_outages_excluded", net.json());
    table.add(new String[] {"Pod end -> Play final (ms) p50/p95/max", fmt(raw.p50()) + " / " + fmt(raw.p95()) + " / " + fmt(raw.max()),
        "", "measured"});
    table.add(new String[] {"  the same, outages excluded", fmt(net.p50()) + " / " + fmt(net.p95()) + " / " + fmt(net.max()), "", "measured"});

    List<String> incompleteReadable = new ArrayList<>();
    for (String name : timeline.traceIncomplete) {
      // Only a log that holds the runner's run_end could have given the whole trace: a flow killed
      // mid-run (a node agent restart loses its processes) leaves a readable log without one, and
      // TraceIncomplete is then the truth.
      String log = podLog(name);
      if (log != null && log.contains("\"type\":\"run_end\"")) {
        incompleteReadable.add(name + " (its Pod's log holds run_end: " + describePlay(name) + "; " + diagnosis(name) + ")");
      }
    }
    results.put("trace_incomplete_all", new ArrayList<>(timeline.traceIncomplete));
    check("TraceIncomplete while the Pod's log holds run_end", incompleteReadable.size(), 0, incompleteReadable);

    long peakKib = faults.maxPeakKib();
    results.put("operator_peak_rss_kib_by_pid", faults.operatorPeakKib);
    check("operator peak RSS (MiB, VmHWM, max over " + faults.operatorPeakKib.size() + " processes)", peakKib / 1024, CHART_LIMIT_MIB,
        peakKib / 1024 > CHART_LIMIT_MIB ? List.of("peaks by pid (KiB): " + faults.operatorPeakKib) : List.of());
    check("operator exits not caused by the suite", faults.unplannedExits.size(), 0,
        faults.unplannedExits.isEmpty() ? List.of() : List.of("pids " + faults.unplannedExits.keySet() + "; see " + cluster.operatorLog()));

    Map<String, Object> hostileJson = new LinkedHashMap<>();
    List<String> hostileBad = new ArrayList<>();
    for (String name : hostile.keySet()) {
      Map<String, Object> h = hostileOutcome(name);
      hostileJson.put(name, h);
      boolean ok = Boolean.TRUE.equals(h.get("final")) && (long) h.get("status_bytes") <= STATUS_BUDGET_BYTES
          && (int) h.get("spans_in_status") <= SPAN_BUDGET;
      if (!ok) {
        hostileBad.add(name + ": " + h);
      }
      table.add(new String[] {"  " + name, "phase " + h.get("phase") + ", " + h.get("spans_in_status") + " spans, status "
          + h.get("status_bytes") + " B, roots " + h.get("root_spans"), "", "observed"});
    }
    results.put("hostile_plays", hostileJson);
    check("hostile Plays not final or over the status budget", hostileBad.size(), 0, hostileBad);
    results.put("outages", faults.outages.stream().map(o -> Map.of("fault", o.fault(), "from_s_after_burst", (o.start() - burstAt) / 1e9,
        "seconds", (o.end() - o.start()) / 1e9)).toList());
  }

  private Map<String, Object> hostileOutcome(String name) throws Exception {
    Map<String, Object> h = new LinkedHashMap<>();
    String raw = cluster.admin.raw("/apis/herologic.io/v1alpha1/namespaces/" + NS + "/plays/" + name);
    JsonNode status = raw == null ? JSON.createObjectNode() : new ObjectMapper().readTree(raw).path("status");
    h.put("final", timeline.playFinal.containsKey(name));
    h.put("phase", status.path("phase").asText(null));
    h.put("status_bytes", (long) new ObjectMapper().writeValueAsBytes(status).length);
    h.put("spans_in_status", status.path("spans").size());
    h.put("span_count", status.path("spanCount").asInt());
    h.put("last_event_seq", status.path("lastEventSeq").isMissingNode() ? null : status.path("lastEventSeq").asText());
    h.put("dropped", status.path("dropped"));
    List<String> roots = new ArrayList<>();
    for (JsonNode s : status.path("spans")) {
      if (!s.hasNonNull("parentId")) {
        roots.add(s.path("name").asText() + " " + s.path("status").asText());
      }
    }
    h.put("root_spans", roots);
    h.put("error", status.path("error").path("message").asText(null));
    h.put("conditions", status.path("conditions"));
    h.put("pod_phase", timeline.podPhase.get(String.valueOf(timeline.podOfPlay.get(name))));
    return h;
  }

  private Double secondsAfterBurst(Long nanos) {
    return nanos == null ? null : Math.round((nanos - burstAt) / 1e7) / 100.0;
  }

  /** Whether the Play's Pod ended before its container ever started: then the flow emitted nothing. */
  /**
   * The Play's Pod: as the benchmark's watch saw it, else as the Play's status names it (a watch
   * that the API server's restart broke can miss a Pod that was created and ended meanwhile).
   */
  private String podOf(String play) {
    String seen = timeline.podOfPlay.get(play);
    if (seen != null) {
      return seen;
    }
    Play p = cluster.admin.resources(Play.class).inNamespace(NS).withName(play).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodName();
  }

  /** The final phase of the Play's Pod: as the watch saw it, else as the API server has it now. */
  private String podPhase(String play) {
    String pod = podOf(play);
    if (pod == null) {
      return null;
    }
    String seen = timeline.podPhase.get(pod);
    if (seen != null) {
      return seen;
    }
    Pod p = cluster.admin.pods().inNamespace(NS).withName(pod).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
  }

  private boolean neverRan(String play) {
    String name = podOf(play);
    Pod pod = name == null ? null : cluster.admin.pods().inNamespace(NS).withName(name).get();
    return pod != null && pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null
        && pod.getStatus().getContainerStatuses().stream().allMatch(cs -> cs.getState() == null
            || (cs.getState().getRunning() == null && cs.getState().getTerminated() == null));
  }

  /**
   * The Pod's whole log through pods/log ("" when the process wrote nothing before it was
   * killed), or null when the API server cannot give it.
   */
  private String podLog(String play) {
    String pod = podOf(play);
    if (pod == null) {
      return null;
    }
    try {
      String log = cluster.admin.pods().inNamespace(NS).withName(pod).getLog();
      return log == null ? "" : log;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private String describePlay(String name) {
    Play p = cluster.admin.resources(Play.class).inNamespace(NS).withName(name).get();
    if (p == null || p.getStatus() == null) {
      return "no status";
    }
    var s = p.getStatus();
    Pod pod = s.getPodName() == null ? null : cluster.admin.pods().inNamespace(NS).withName(s.getPodName()).get();
    return "phase " + s.getPhase() + ", message " + s.getMessage()
        + (s.getError() == null ? "" : ", error " + s.getError().getType() + ": " + s.getError().getMessage()) + ", output " + (s.getOutput() == null ? "missing" : "present") + ", spanCount " + s.getSpanCount() + ", lastEventSeq " + s.getLastEventSeq()
        + ", conditions " + s.getConditions().stream().map(c -> c.getType() + "=" + c.getStatus() + "(" + c.getReason() + ")").toList()
        + (pod == null ? "" : ", Pod " + pod.getStatus().getPhase() + " " + pod.getStatus().getReason());
  }

  /**
   * What the operator most likely did wrong with a Play whose status lost what its Pod's log holds
   * (read against operator/src/main at the time this suite was written; see the chaos report).
   */
  private String diagnosis(String name) {
    if (timeline.traceIncomplete.contains(name)) {
      return "OPERATOR BUG: TraceIncomplete although the log is readable now: LogFollower re-reads a broken stream only once,"
          + " at once, after the Pod ended, so an API server or node agent restart at that moment is taken as final";
    }
    return "OPERATOR BUG: final without the trace its Pod's log holds and without TraceIncomplete (seen for Pods that end"
        + " around an operator restart); suspect PlayReconciler.observe, which takes trace.observed() before it asks"
        + " trace.finished(), so a follower that finishes in between ends the Play with the older, shorter trace";
  }

  private void check(String what, long value, long limit, List<String> details) {
    boolean ok = value <= limit;
    table.add(new String[] {what, String.valueOf(value), (limit == 0 ? "0" : "<= " + limit), ok ? "ok" : "FAIL"});
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("value", value);
    m.put("limit", limit);
    m.put("ok", ok);
    m.put("details", details.subList(0, Math.min(20, details.size())));
    @SuppressWarnings("unchecked")
    Map<String, Object> checks = (Map<String, Object>) results.computeIfAbsent("checks", k -> new LinkedHashMap<String, Object>());
    checks.put(what, m);
    if (!ok) {
      failures.add(what + ": " + value + " (limit " + limit + ")" + (details.isEmpty() ? "" : "; " + String.join("; ",
          details.subList(0, Math.min(5, details.size())))));
    }
  }

  private void printTable() throws Exception {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%nhero-logic chaos suite: %d Plays + 3 hostile; faults %s (seed %d)%n", plays, results.get("faults"), seed));
    b.append(String.format(Locale.ROOT, "%-66s %-44s %-8s %s%n", "check", "value", "limit", "result"));
    for (String[] row : table) {
      b.append(String.format(Locale.ROOT, "%-66s %-44s %-8s %s%n", (Object[]) row));
    }
    if (failures.isEmpty()) {
      b.append("all checks passed\n");
    } else {
      b.append("\nFAILED:\n");
      failures.forEach(f -> b.append("- ").append(f).append('\n'));
      b.append("operator log: ").append(cluster.operatorLog()).append('\n');
    }
    System.out.print(b);
    Files.writeString(out.resolve("table.txt"), b.toString(), StandardCharsets.UTF_8);
  }

  private static String fmt(double ms) {
    return Double.isNaN(ms) ? "-" : String.format(Locale.ROOT, "%.0f", ms);
  }

  private static int intEnv(String name, int fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : Integer.parseInt(v.trim());
  }

  private static void say(String text) {
    System.out.printf(Locale.ROOT, "[chaos %6.1fs] %s%n", (System.nanoTime() - START) / 1e9, text);
  }
}
