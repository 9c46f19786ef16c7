package io.herologic.operator.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The chaos suite's faults, on the cluster of a {@link BenchCluster}: SIGKILL of the operator
 * (restarted at once), and in-place restarts of devcluster components. It remembers when the
 * operator or the API server was down (so latencies can be read net of outages) and samples each
 * operator process's peak RSS (VmHWM) until just before it is killed.
 */
final class FaultInjector implements AutoCloseable {
  static final String KILL_OPERATOR = "SIGKILL operator";
  static final String RESTART_APISERVER = "restart kube-apiserver";
  static final String RESTART_AGENT = "restart node agent";

  /** A span of time (System.nanoTime) when a part was down on purpose. */
  record Outage(String fault, long start, long end) {
    long overlap(long from, long to) {
      return Math.max(0, Math.min(end, to) - Math.max(start, from));
    }
  }

  private final BenchCluster cluster;
  private final Path operatorKubeconfig;
  private final String operatorHeap;
  private final Consumer<String> say;
  final List<Outage> outages = Collections.synchronizedList(new ArrayList<>());
  /** Peak RSS in KiB by operator pid, in start order. */
  final Map<Long, Long> operatorPeakKib = Collections.synchronizedMap(new LinkedHashMap<>());
  /** Operator processes that ended without being killed by the suite (pid, with the moment seen). */
  final Map<Long, Long> unplannedExits = new ConcurrentHashMap<>();
  private volatile boolean killing;
  private volatile boolean sampling = true;
  private final Thread sampler;

  FaultInjector(BenchCluster cluster, Path operatorKubeconfig, String operatorHeap, Consumer<String> say) {
    this.cluster = cluster;
    this.operatorKubeconfig = operatorKubeconfig;
    this.operatorHeap = operatorHeap;
    this.say = say;
    sampler = new Thread(this::sample, "chaos-rss-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  /**
   * The faults in order: {@code given} as a comma-separated list of kill, apiserver and agent
   * ("none": no fault), or when it is null the operator kills and one API server restart in random
   * order, with the agent's restart among the first three (it ends every Pod then running, so
   * early, while many run).
   */
  static List<String> schedule(String given, Random random, int operatorKills) {
    if (given != null && !given.isBlank()) {
      List<String> faults = new ArrayList<>();
      for (String f : given.split(",")) {
        switch (f.trim()) {
          case "none", "" -> { }
          case "kill" -> faults.add(KILL_OPERATOR);
          case "apiserver" -> faults.add(RESTART_APISERVER);
          case "agent" -> faults.add(RESTART_AGENT);
          default -> throw new IllegalArgumentException("CHAOS_FAULTS: unknown fault '" + f.trim() + "' (kill, apiserver, agent or none)");
        }
      }
      return faults;
    }
    List<String> faults = new ArrayList<>(Collections.nCopies(operatorKills, KILL_OPERATOR));
    faults.add(RESTART_APISERVER);
    Collections.shuffle(faults, random);
    faults.add(1 + random.nextInt(Math.min(3, faults.size())), RESTART_AGENT);
    return faults;
  }

  void inject(String fault) throws Exception {
    long start = System.nanoTime();
    switch (fault) {
      case KILL_OPERATOR -> {
        long pid = cluster.operatorPid();
        killing = true;
        recordPeak(pid);
        cluster.killOperator();
        start = System.nanoTime();
        restartOperator();
        killing = false;
        say.accept("SIGKILLed the operator (pid " + pid + "); the new one (pid " + cluster.operatorPid() + ") was ready after "
            + ms(System.nanoTime() - start) + " ms");
      }
      case RESTART_APISERVER -> {
        cluster.restartComponent("kube-apiserver");
        say.accept("restarted kube-apiserver in " + ms(System.nanoTime() - start) + " ms");
      }
      case RESTART_AGENT -> {
        cluster.restartComponent("node-agent");
        say.accept("restarted the node agent in " + ms(System.nanoTime() - start) + " ms");
      }
      default -> throw new IllegalArgumentException(fault);
    }
    outages.add(new Outage(fault, start, System.nanoTime()));
  }

  /** If the operator died on its own, records it and starts a new one so the run can go on. */
  void reviveIfDead() throws Exception {
    if (!killing && !cluster.operatorAlive()) {
      long pid = cluster.operatorPid();
      unplannedExits.putIfAbsent(pid, System.nanoTime());
      say.accept("the operator (pid " + pid + ") EXITED ON ITS OWN; see " + cluster.operatorLog() + "; starting a new one");
      long start = System.nanoTime();
      restartOperator();
      outages.add(new Outage("operator exited", start, System.nanoTime()));
    }
  }

  private void restartOperator() throws Exception {
    cluster.startOperator(operatorKubeconfig, operatorHeap);
  }

  /** Time within [from, to] when none of the suite's faults had a part down. */
  long availableNanos(long from, long to) {
    List<Outage> copy;
    synchronized (outages) {
      copy = new ArrayList<>(outages);
    }
    copy.sort((a, b) -> Long.compare(a.start, b.start));
    long down = 0;
    long cursor = from;
    for (Outage o : copy) {
      long s = Math.max(o.start, cursor);
      long e = Math.min(o.end, to);
      if (e > s) {
        down += e - s;
        cursor = e;
      }
    }
    return Math.max(0, to - from - down);
  }

  long maxPeakKib() {
    synchronized (operatorPeakKib) {
      return operatorPeakKib.values().stream().mapToLong(Long::longValue).max().orElse(-1);
    }
  }

  private void recordPeak(long pid) {
    long hwm = Proc.status(pid, "VmHWM");
    if (hwm > 0) {
      operatorPeakKib.merge(pid, hwm, Math::max);
    }
  }

  private void sample() {
    while (sampling) {
      try {
        if (cluster.operatorAlive()) {
          recordPeak(cluster.operatorPid());
        } else if (!killing) {
          unplannedExits.putIfAbsent(cluster.operatorPid(), System.nanoTime());
        }
        Thread.sleep(200);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // the process went away between the check and the read: the next round sees it
      }
    }
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }

  @Override
  public void close() {
    if (cluster.operatorAlive()) {
      recordPeak(cluster.operatorPid());
    }
    sampling = false;
    sampler.interrupt();
  }
}
