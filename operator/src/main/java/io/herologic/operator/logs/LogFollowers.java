package io.herologic.operator.logs;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.herologic.model.Play;
import io.herologic.operator.export.SpanExport;
import io.herologic.operator.trace.TraceLimits;
import io.herologic.operator.trace.TraceSnapshot;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One log follower per running Play. Followers never write to the API server themselves: they wake
 * the Play's reconciler when the trace's changes are worth a status write ({@link Coalescer}: at
 * most once per an interval that grows with the trace, sooner for an end than for a start), and
 * at once when the log ends.
 *
 * <p>Memory and threads are bounded by the Plays that run, not by the Plays that ever ran: the
 * reconciler stops a follower when its Play ends, and a sweep stops followers whose Play was
 * deleted (a deleted Play is never reconciled again). Streams and the followers' decisions share
 * {@link #SCHEDULER_THREADS} threads.
 */
@ApplicationScoped
public class LogFollowers {
  static final long SWEEP_MILLIS = 5_000;
  static final int SCHEDULER_THREADS = 2;

  private final KubernetesClient client;
  private final SpanExport export;
  private final Map<ResourceID, LogFollower> followers = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(SCHEDULER_THREADS, r -> {
    Thread t = new Thread(r, "play-log");
    t.setDaemon(true);
    return t;
  });
  private volatile SimpleInboundEventSource<Play> wakeUps;
  private volatile Cache<Play> plays;

  public LogFollowers(KubernetesClient client, SpanExport export) {
    this.export = export;
    // Log streams get a client, a connection pool and a Vert.x of their own (the factory without a
    // shared Vert.x starts one, with its own event-loop threads, and closes it with the client):
    // - a long stream ending or being closed never takes down a reconciler's request that shares
    //   its connection;
    // - each stream holds an HTTP/1.1 connection, so a burst of starting Pods is a burst of TLS
    //   handshakes, and a flooding flow's log is a flood of chunks: on the event loops that also
    //   carry the reconcilers' requests and the informers' watches (Quarkus's), a 200-Play burst's
    //   handshakes alone held each Pod create 2.6 s on average (JFR) against 40 ms at the API server.
    this.client = new KubernetesClientBuilder().withConfig(client.getConfiguration())
        .withHttpClientFactory(new VertxHttpClientFactory()).build();
    scheduler.scheduleWithFixedDelay(this::wakeChanged, Coalescer.TICK_MILLIS, Coalescer.TICK_MILLIS, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(this::sweepDeleted, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** The event source through which followers wake the Play reconciler, and the Plays that exist. */
  public void attach(SimpleInboundEventSource<Play> source, Cache<Play> plays) {
    this.wakeUps = source;
    this.plays = plays;
  }

  /**
   * The follower of this Play's Pod, started if there is none yet. {@code pods} reads the Pod from
   * the operator's informer, so following costs no polling of the API server. {@code play} carries
   * the status the reconciler is computing (its launch may not be written yet): a new follower's
   * span export takes the Play's version, digest and trace id from it.
   */
  public Trace follow(Play play, String pod, String container, TraceLimits limits, Cache<Pod> pods) {
    ResourceID playId = ResourceID.fromResource(play);
    ResourceID podId = new ResourceID(pod, playId.getNamespace().orElseThrow());
    LogFollower follower = followers.compute(playId, (id, existing) -> {
      if (existing != null && existing.pod.equals(pod)) {
        return existing;
      }
      if (existing != null) {
        existing.stop();
      }
      LogFollower created = new LogFollower(id, pod, container, client, limits, () -> pods.get(podId), scheduler, () -> wake(id),
          export.listenerFor(play, pod));
      created.start();
      return created;
    });
    return new Trace(follower);
  }

  public Optional<Trace> existing(ResourceID play) {
    return Optional.ofNullable(followers.get(play)).map(Trace::new);
  }

  /**
   * Stops the Play's follower and forgets it: its stream is closed and its trace freed. The reconciler
   * calls this when the Play ended (or is gone), so spans that never ended are finished here too;
   * an operator shutting down ({@link #close}) finishes none: its successor reads the log again.
   */
  public void stop(ResourceID play) {
    LogFollower f = followers.remove(play);
    if (f != null) {
      f.stop();
      f.endUnfinished();
    }
  }

  public int active() {
    return followers.size();
  }

  private void wakeChanged() {
    long now = System.nanoTime();
    for (LogFollower f : followers.values()) {
      if (f.worthWaking(now)) {
        wake(f.play);
      }
    }
  }

  private void sweepDeleted() {
    Cache<Play> known = plays;
    if (known != null) {
      followers.keySet().stream().filter(id -> known.get(id).isEmpty()).toList().forEach(this::stop);
    }
  }

  private void wake(ResourceID play) {
    SimpleInboundEventSource<Play> source = wakeUps;
    if (source != null) {
      source.propagateEvent(play);
    }
  }

  @PreDestroy
  void close() {
    scheduler.shutdownNow();
    followers.values().forEach(LogFollower::stop);
    client.close();
  }

  /** Read access to one Play's trace for the reconciler. */
  public static final class Trace {
    private final LogFollower follower;

    Trace(LogFollower follower) {
      this.follower = follower;
    }

    public boolean finished() {
      return follower.finished();
    }

    /** How long ago the log was read to its end; empty while it is not. */
    public Optional<Duration> finishedAgo() {
      OptionalLong at = follower.finishedAt();
      return at.isPresent() ? Optional.of(Duration.ofNanos(System.nanoTime() - at.getAsLong())) : Optional.empty();
    }

    /** How long this operator has been following the log. */
    public Duration age() {
      return Duration.ofNanos(System.nanoTime() - follower.createdAt);
    }

    public String problem() {
      return follower.problem();
    }

    /** The trace as read so far, and what the runner's run_end said ("succeeded", "failed", or null). */
    public Observed observed() {
      return follower.result();
    }

    /**
     * A status write carrying {@code observed} landed: how long the oldest trace change it carried
     * for the first time had waited since the operator read its line; empty when it carried none new.
     */
    public Optional<Duration> written(Observed observed) {
      return follower.written(observed.version(), System.nanoTime());
    }
  }

  /**
   * A trace as read so far, what the runner's run_end said ("succeeded", "failed", or null when it
   * never came), and the trace's version (see {@link Trace#written}).
   */
  public record Observed(TraceSnapshot trace, String runStatus, long version) {}
}
