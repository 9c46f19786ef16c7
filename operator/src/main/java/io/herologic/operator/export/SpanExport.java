package io.herologic.operator.export;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.trace.SpanListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Exports every span of every Play over OTLP when {@code herologic.otlp.endpoint} is set (README
 * "Tracing backends"): a log follower gets a {@link #listenerFor listener} for its Play, which maps
 * each finished span ({@link SpanMapping}) and queues it ({@link ExportPipeline}); what the
 * collector accepted moves the Play's {@link ExportProgress} mark. Metrics:
 * {@code herologic_otlp_spans_exported_total}, {@code _dropped_total} (queue full),
 * {@code _failed_total} (the collector did not take them for {@code herologic.otlp.retry-seconds}),
 * and {@code herologic_otlp_spans_queued}.
 */
@ApplicationScoped
@Startup // a wrong setting stops the operator at start, naming it, rather than failing each Play's reconcile
public class SpanExport {
  private static final Logger LOG = Logger.getLogger(SpanExport.class);
  private static final Duration FLUSH_ON_SHUTDOWN = Duration.ofSeconds(5);

  private final Optional<ExportPipeline> pipeline;
  private final Optional<ExportProgress> progress;

  @Inject
  public SpanExport(OperatorConfig config, KubernetesClient client, MeterRegistry registry) {
    this(config.otlp().endpoint().map(e -> OtlpExporters.create(config.otlp())), settings(config.otlp()), client, registry);
    TraceLinks.template(config); // checked at start too, so a wrong one stops the operator naming it
    config.otlp().endpoint().ifPresent(e -> LOG.infof("exporting spans over OTLP (%s) to %s", config.otlp().protocol(), e));
  }

  SpanExport(Optional<SpanExporter> exporter, ExportPipeline.Settings settings, KubernetesClient client, MeterRegistry registry) {
    this.progress = exporter.map(e -> new ExportProgress(client));
    this.pipeline = exporter.map(e -> new ExportPipeline(e, settings, counts(registry), spans -> progress.get().exported(spans)));
    pipeline.ifPresent(p -> Gauge.builder("herologic_otlp_spans_queued", p, ExportPipeline::waiting)
        .description("Spans waiting to be sent over OTLP").register(registry));
  }

  static ExportPipeline.Settings settings(OperatorConfig.Otlp otlp) {
    return new ExportPipeline.Settings(otlp.maxQueuedSpans(), otlp.maxQueuedBytes(), otlp.maxBatchSpans(),
        Duration.ofMillis(otlp.batchDelayMillis()), Duration.ofSeconds(otlp.retrySeconds()));
  }

  private static ExportPipeline.Counts counts(MeterRegistry registry) {
    Counter exported = Counter.builder("herologic_otlp_spans_exported").description("Spans the OTLP collector accepted").register(registry);
    Counter dropped = Counter.builder("herologic_otlp_spans_dropped").description("Spans dropped because the OTLP export queue was full").register(registry);
    Counter failed = Counter.builder("herologic_otlp_spans_failed").description("Spans the OTLP collector did not take however often they were sent").register(registry);
    return new ExportPipeline.Counts() {
      @Override
      public void exported(int spans) {
        exported.increment(spans);
      }

      @Override
      public void dropped(int spans) {
        dropped.increment(spans);
      }

      @Override
      public void failed(int spans) {
        failed.increment(spans);
      }
    };
  }

  /**
   * Where the finished spans of this Play (running in {@code pod}) go: nowhere when export is off.
   * Spans an earlier operator process already exported ({@link ExportProgress}) are skipped.
   */
  public SpanListener listenerFor(Play play, String pod) {
    if (pipeline.isEmpty()) {
      return SpanListener.NONE;
    }
    PlayTraceContext context = PlayTraceContext.of(play, pod);
    ExportPipeline queue = pipeline.get();
    return span -> {
      if (span.line() > context.exportedThroughLine()) {
        SpanMapping.toSpanData(span, context).ifPresent(queue::offer);
      }
    };
  }

  /** Sends what is queued (for a while) and records how far export got, so a successor does not send it again. */
  @PreDestroy
  void close() {
    pipeline.ifPresent(p -> {
      p.flush(FLUSH_ON_SHUTDOWN);
      p.close();
    });
    progress.ifPresent(ExportProgress::close);
  }
}
