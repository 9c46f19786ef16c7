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

/**
 * hero-logic's Prometheus metrics (at /q/metrics, next to JOSDK's own reconcile metrics).
 * Labelled by workflow, never by Play, so the series count stays bounded.
 */
@ApplicationScoped
@Startup // register the gauge at start, not when the first Play happens to be counted
public class PlayMetrics {
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

  /** One status patch of {@code bytes} (the status as JSON) was sent. */
  public void statusPatched(long bytes) {
    Counter.builder("herologic_status_patches").description("Play status patches sent to the API server")
        .register(registry).increment();
    Counter.builder("herologic_status_patch_bytes").description("Bytes of Play status (as JSON) sent in status patches")
        .register(registry).increment(bytes);
  }

  public void reconcileError(String kind) {
    Counter.builder("herologic_reconcile_errors").description("Reconciles that ended in an exception")
        .tag("kind", kind).register(registry).increment();
  }
}
