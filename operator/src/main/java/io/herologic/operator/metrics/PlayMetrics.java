package io.herologic.operator.metrics;

import io.herologic.model.PlayPhase;
import io.herologic.operator.logs.LogFollowers;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * hero-logic's Prometheus metrics (at /q/metrics, next to JOSDK's own reconcile metrics).
 * Labelled by workflow, never by Play, so the series count stays bounded.
 */
@ApplicationScoped
@Startup // register the gauge at start, not when the first Play happens to be counted
public class PlayMetrics {
  /** Buckets for the status timings: fine around the 1 s goal, coarse up to the minutes a crowded cluster can take. */
  private static final Duration[] LAG_BUCKETS = Stream.of(10, 25, 50, 100, 250, 500, 750, 1_000, 1_500, 2_000,
      3_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000).map(Duration::ofMillis).toArray(Duration[]::new);
  private final MeterRegistry registry;

  public PlayMetrics(MeterRegistry registry, LogFollowers followers) {
    this.registry = registry;
    Gauge.builder("herologic_log_followers", followers, LogFollowers::active)
        .description("Running Plays whose Pod log the operator is following").register(registry);
  }

  /** The Plays waiting for a place under the concurrency limits, counted when scraped. */
  public void trackQueued(Supplier<Number> queued) {
    Gauge.builder("herologic_plays_queued", queued).description("Plays waiting, Pending with reason Queued, for a place under the concurrency limits")
        .register(registry);
  }

  public void started(String workflow) {
    Counter.builder("herologic_plays_started").description("Plays whose flow Pod started running")
        .tag("workflow", workflow).register(registry).increment();
  }

  public void finished(String workflow, PlayPhase phase, Long durationMs) {
    Counter.builder("herologic_plays_finished").description("Plays that reached a final phase")
        .tag("workflow", workflow).tag("phase", phase.name()).register(registry).increment();
    if (durationMs != null) {
      Timer.builder("herologic_play_duration").description("How long finished Plays ran")
          .tag("workflow", workflow).tag("phase", phase.name()).publishPercentileHistogram()
          .register(registry).record(Duration.ofMillis(durationMs));
    }
  }

  /** An attempt of a Play ended: {@code outcome} is Succeeded, Cancelled, or the failure's cause (FlowFailed, PodLost, DeadlineExceeded). */
  public void attemptEnded(String workflow, String outcome) {
    Counter.builder("herologic_play_attempts").description("Attempts of Plays that ended, by outcome")
        .tag("workflow", workflow).tag("outcome", outcome).register(registry).increment();
  }

  /** A failed attempt is followed by another after its backoff. */
  public void retried(String workflow, String cause) {
    Counter.builder("herologic_play_retries").description("Failed attempts of Plays that are retried, by cause")
        .tag("workflow", workflow).tag("cause", cause).register(registry).increment();
  }

  /** One status patch of {@code bytes} (the status as JSON) was sent, and its answer came {@code took} after the call. */
  public void statusPatched(long bytes, Duration took) {
    Counter.builder("herologic_status_patches").description("Play status patches sent to the API server")
        .register(registry).increment();
    Counter.builder("herologic_status_patch_bytes").description("Bytes of Play status (as JSON) sent in status patches")
        .register(registry).increment(bytes);
    Timer.builder("herologic_status_patch").description("From the operator's call of a Play status patch to the API server's answer")
        .serviceLevelObjectives(LAG_BUCKETS).register(registry).record(took);
  }

  /**
   * A status write carried trace changes of a running Play: how long the oldest of them waited since
   * the operator read its log line (the coalescing interval, the reconcile queue, the patch). This
   * is how stale a running Play's status is.
   */
  public void statusLag(Duration waited) {
    Timer.builder("herologic_status_lag").description("From a flow's log line being read by the operator to the Play status write that carries it")
        .serviceLevelObjectives(LAG_BUCKETS).register(registry).record(waited);
  }

  public void reconcileError(String kind) {
    Counter.builder("herologic_reconcile_errors").description("Reconciles that ended in an exception")
        .tag("kind", kind).register(registry).increment();
  }
}
