package io.herologic.operator.logs;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.herologic.operator.trace.TraceLimits;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One log follower per running Play. Followers never write to the API server themselves: they wake
 * the Play's reconciler, at most once per {@link #TICK_MILLIS} while the trace changes (so status
 * patches are coalesced to a few per second per Play), and at once when the log ends.
 */
@ApplicationScoped
public class LogFollowers {
  static final long TICK_MILLIS = 250;

  private final KubernetesClient client;
  private final Map<ResourceID, LogFollower> followers = new ConcurrentHashMap<>();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "play-log");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "play-log-tick");
    t.setDaemon(true);
    return t;
  });
  private volatile SimpleInboundEventSource<?> wakeUps;

  public LogFollowers(KubernetesClient client) {
    // Log streams get a client (and connection pool) of their own: a long stream ending or being
    // closed must never take down the reconcilers' requests that share its connection.
    this.client = new KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
    ticker.scheduleWithFixedDelay(this::wakeChanged, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** The event source through which followers wake the Play reconciler. */
  public void attach(SimpleInboundEventSource<?> source) {
    this.wakeUps = source;
  }

  /** The follower of this Play's Pod, started if there is none yet. */
  public Trace follow(ResourceID play, Pod pod, String container, TraceLimits limits) {
    String podName = pod.getMetadata().getName();
    LogFollower follower = followers.compute(play, (id, existing) -> {
      if (existing != null && existing.pod.equals(podName)) {
        return existing;
      }
      if (existing != null) {
        existing.stop();
      }
      LogFollower created = new LogFollower(id, podName, container, client, limits, () -> wake(id));
      threads.submit(created);
      return created;
    });
    return new Trace(follower);
  }

  public Optional<Trace> existing(ResourceID play) {
    return Optional.ofNullable(followers.get(play)).map(Trace::new);
  }

  public void stop(ResourceID play) {
    LogFollower f = followers.remove(play);
    if (f != null) {
      f.stop();
    }
  }

  public int active() {
    return followers.size();
  }

  private void wakeChanged() {
    for (LogFollower f : followers.values()) {
      long version = f.version();
      if (version != f.notifiedVersion) {
        f.notifiedVersion = version;
        wake(f.play);
      }
    }
  }

  private void wake(ResourceID play) {
    SimpleInboundEventSource<?> source = wakeUps;
    if (source != null) {
      source.propagateEvent(play);
    }
  }

  @PreDestroy
  void close() {
    ticker.shutdownNow();
    followers.values().forEach(LogFollower::stop);
    threads.shutdownNow();
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

    public String problem() {
      return follower.problem();
    }

    public LogFollower.Result result() {
      return follower.result();
    }
  }
}
