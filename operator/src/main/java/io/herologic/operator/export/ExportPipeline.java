package io.herologic.operator.export;

import io.herologic.operator.export.SpanMapping.PlaySpanData;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.InstrumentationLibraryInfo;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The OpenTelemetry SDK's {@link BatchSpanProcessor} in front of an OTLP {@link SpanExporter}, with
 * the things the operator needs on top:
 *
 * <ul>
 *   <li><b>Bounded, never blocking.</b> {@link #offer} admits a span only while fewer than
 *       {@code maxSpans} spans and {@code maxBytes} bytes wait (queued or being sent); past that the
 *       span is dropped and counted, and the caller (a log follower) never waits.
 *   <li><b>Fair.</b> One Play may hold at most a quarter of the waiting spans, so a flow that floods
 *       its log (hostile input, design decision 10) cannot crowd out the other Plays' spans.
 *   <li><b>Retried across an outage.</b> The SDK's own retry policy gives up after at most five tries
 *       of a few seconds each; a collector that restarts takes longer. A batch that failed is tried
 *       again with exponential backoff (up to {@link #MAX_BACKOFF}) for {@code retryFor}; meanwhile
 *       later spans queue (bounded as above). Only then is the batch counted as failed.
 *   <li><b>Acknowledged.</b> Spans the collector accepted are handed to {@code onExported}
 *       (ExportProgress records how far each Play got).
 * </ul>
 */
final class ExportPipeline implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ExportPipeline.class);
  static final Duration MIN_BACKOFF = Duration.ofMillis(500);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

  /** Bounds and timings of the pipeline. */
  record Settings(int maxSpans, long maxBytes, int maxBatch, Duration batchDelay, Duration retryFor) {}

  /** What happened to spans: counted in the operator's metrics. */
  interface Counts {
    void exported(int spans);

    void dropped(int spans);

    void failed(int spans);
  }

  private final BatchSpanProcessor processor;
  private final Settings settings;
  private final Counts counts;
  private final AtomicInteger waitingSpans = new AtomicInteger();
  private final AtomicLong waitingBytes = new AtomicLong();
  /** Waiting spans per Play (namespace/name); only Plays with spans waiting have an entry. */
  private final Map<String, Integer> waitingPerPlay = new ConcurrentHashMap<>();
  private final ScheduledExecutorService retrying = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "otlp-retry");
    t.setDaemon(true);
    return t;
  });

  ExportPipeline(SpanExporter exporter, Settings settings, Counts counts, Consumer<Collection<SpanData>> onExported) {
    this.settings = settings;
    this.counts = counts;
    this.processor = BatchSpanProcessor.builder(new RetryingExporter(exporter, onExported))
        .setMaxQueueSize(settings.maxSpans()) // never full: offer() admits no more than this
        .setMaxExportBatchSize(Math.min(settings.maxBatch(), settings.maxSpans()))
        .setScheduleDelay(settings.batchDelay())
        // The processor waits for a batch while it is retried; a little longer than that, so it never
        // sends the next batch alongside a batch still being retried.
        .setExporterTimeout(settings.retryFor().plus(MAX_BACKOFF).plusSeconds(30))
        .build();
  }

  /** Queues the span for export, or drops and counts it when the queue is full; never blocks. */
  boolean offer(PlaySpanData span) {
    int spans = waitingSpans.incrementAndGet();
    long held = waitingBytes.addAndGet(span.heldBytes());
    int ofThisPlay = waitingPerPlay.merge(span.play(), 1, Integer::sum);
    if (spans > settings.maxSpans() || held > settings.maxBytes() || ofThisPlay > maxSpansPerPlay()) {
      release(List.of(span));
      counts.dropped(1);
      return false;
    }
    processor.onEnd(new Finished(span));
    return true;
  }

  private int maxSpansPerPlay() {
    return Math.max(1, settings.maxSpans() / 4);
  }

  /** Spans waiting to be sent (queued or being sent). */
  int waiting() {
    return waitingSpans.get();
  }

  long waitingBytes() {
    return waitingBytes.get();
  }

  /** Sends what is queued; waits at most {@code timeout}. */
  boolean flush(Duration timeout) {
    return processor.forceFlush().join(timeout.toMillis(), TimeUnit.MILLISECONDS).isSuccess();
  }

  @Override
  public void close() {
    retrying.shutdownNow(); // a batch still retried is given up: the successor process sends it (ExportProgress)
    processor.shutdown().join(10, TimeUnit.SECONDS);
  }

  private void release(Collection<? extends SpanData> spans) {
    long bytes = 0;
    for (SpanData s : spans) {
      if (s instanceof PlaySpanData p) {
        bytes += p.heldBytes();
        waitingPerPlay.computeIfPresent(p.play(), (play, n) -> n <= 1 ? null : n - 1);
      }
    }
    waitingSpans.addAndGet(-spans.size());
    waitingBytes.addAndGet(-bytes);
  }

  /** Sends a batch, and again with backoff while it fails, for {@code retryFor}; then counts it as failed. */
  private final class RetryingExporter implements SpanExporter {
    private final SpanExporter delegate;
    private final Consumer<Collection<SpanData>> onExported;
    /** Whether the last batch failed: the first failure of an outage is logged, not every retry. */
    private volatile boolean failing;

    RetryingExporter(SpanExporter delegate, Consumer<Collection<SpanData>> onExported) {
      this.delegate = delegate;
      this.onExported = onExported;
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      List<SpanData> batch = List.copyOf(spans);
      CompletableResultCode result = new CompletableResultCode();
      attempt(batch, result, System.nanoTime() + settings.retryFor().toNanos(), MIN_BACKOFF);
      return result;
    }

    private void attempt(List<SpanData> batch, CompletableResultCode result, long giveUpAt, Duration backoff) {
      CompletableResultCode sent = delegate.export(batch);
      sent.whenComplete(() -> {
        if (sent.isSuccess()) {
          if (failing) {
            failing = false;
            LOG.info("OTLP export works again");
          }
          release(batch);
          counts.exported(batch.size());
          onExported.accept(batch);
          result.succeed();
        } else if (System.nanoTime() + backoff.toNanos() < giveUpAt && !retrying.isShutdown()) {
          if (backoff.equals(MIN_BACKOFF) && !failing) {
            failing = true;
            LOG.warnf("OTLP export failed (%s); trying again with backoff for up to %s", cause(sent), settings.retryFor());
          }
          LOG.debugf("OTLP export of %d spans failed, trying again in %s", batch.size(), backoff);
          Duration next = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
          try {
            retrying.schedule(() -> attempt(batch, result, giveUpAt, next), backoff.toMillis(), TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException closing) {
            giveUp(batch, result);
          }
        } else {
          giveUp(batch, result);
        }
      });
    }

    private String cause(CompletableResultCode failed) {
      Throwable t = failed.getFailureThrowable();
      return t == null ? "the collector refused the batch" : t.getMessage() != null ? t.getMessage() : t.toString();
    }

    private void giveUp(List<SpanData> batch, CompletableResultCode result) {
      LOG.warnf("OTLP export of %d spans failed for %s; they are dropped", batch.size(), settings.retryFor());
      release(batch);
      counts.failed(batch.size());
      result.fail();
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }

  /** A finished span in the shape the batch processor takes. */
  private record Finished(PlaySpanData data) implements ReadableSpan {
    @Override
    public SpanContext getSpanContext() {
      return data.getSpanContext();
    }

    @Override
    public SpanContext getParentSpanContext() {
      return data.getParentSpanContext();
    }

    @Override
    public String getName() {
      return data.getName();
    }

    @Override
    public SpanData toSpanData() {
      return data;
    }

    @Override
    @SuppressWarnings("deprecation") // still abstract in ReadableSpan
    public InstrumentationLibraryInfo getInstrumentationLibraryInfo() {
      return data.getInstrumentationLibraryInfo();
    }

    @Override
    public InstrumentationScopeInfo getInstrumentationScopeInfo() {
      return data.getInstrumentationScopeInfo();
    }

    @Override
    public boolean hasEnded() {
      return true;
    }

    @Override
    public long getLatencyNanos() {
      return data.getEndEpochNanos() - data.getStartEpochNanos();
    }

    @Override
    public SpanKind getKind() {
      return data.getKind();
    }

    @Override
    public <T> T getAttribute(AttributeKey<T> key) {
      return data.getAttributes().get(key);
    }
  }
}
