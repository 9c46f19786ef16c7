package io.herologic.operator.export;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.operator.export.SpanMapping.PlaySpanData;
import io.herologic.operator.trace.FinishedSpan;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ExportPipelineTest {
  private final AtomicInteger exported = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final List<SpanData> acknowledged = new ArrayList<>();

  private final ExportPipeline.Counts counts = new ExportPipeline.Counts() {
    @Override
    public void exported(int spans) {
      exported.addAndGet(spans);
    }

    @Override
    public void dropped(int spans) {
      dropped.addAndGet(spans);
    }

    @Override
    public void failed(int spans) {
      failed.addAndGet(spans);
    }
  };

  private static PlaySpanData span(int i, long bytes) {
    return span("hello-1", i, bytes);
  }

  private static PlaySpanData span(String play, int i, long bytes) {
    String id = HexFormat.of().toHexDigits((long) i + 1);
    var finished = new FinishedSpan(null, id, null, "s" + i, "step", false, 1700000000.0 + i, 1700000000.5 + i,
        null, List.of(), 0, null, Optional.empty(), i + 1, false, bytes);
    return SpanMapping.toSpanData(finished, PlayTraceContext.of(SpanMappingTest.play(play, null), "pod")).orElseThrow();
  }

  private ExportPipeline pipeline(SpanExporter exporter, int maxSpans, long maxBytes, Duration retryFor) {
    return new ExportPipeline(exporter, new ExportPipeline.Settings(maxSpans, maxBytes, 64, Duration.ofMillis(50), retryFor),
        counts, spans -> {
          synchronized (acknowledged) {
            acknowledged.addAll(spans);
          }
        });
  }

  @Test
  void exportsEverySpanOnceAndAcknowledgesIt() {
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    try (ExportPipeline p = pipeline(memory, 1000, 1 << 20, Duration.ofSeconds(5))) {
      for (int i = 0; i < 30; i++) {
        assertTrue(p.offer(span(i, 100)));
      }
      assertTrue(p.flush(Duration.ofSeconds(5)));
      assertEquals(30, memory.getFinishedSpanItems().size());
      assertEquals(30, memory.getFinishedSpanItems().stream().map(SpanData::getSpanId).distinct().count());
      assertEquals(30, exported.get());
      assertEquals(30, acknowledged.size());
      assertEquals(0, p.waiting());
      assertEquals(0, p.waitingBytes());
    }
  }

  /** A collector that is down for its first {@code failures} requests, then takes everything. */
  private static final class FlakyCollector implements SpanExporter {
    final InMemorySpanExporter memory = InMemorySpanExporter.create();
    final AtomicInteger failuresLeft;
    final AtomicInteger requests = new AtomicInteger();

    FlakyCollector(int failures) {
      this.failuresLeft = new AtomicInteger(failures);
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      requests.incrementAndGet();
      return failuresLeft.getAndDecrement() > 0 ? CompletableResultCode.ofFailure() : memory.export(spans);
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void aBatchIsTriedAgainWithBackoffUntilTheCollectorTakesIt() {
    FlakyCollector collector = new FlakyCollector(3);
    try (ExportPipeline p = pipeline(collector, 100, 1 << 20, Duration.ofSeconds(30))) {
      p.offer(span(1, 100));
      p.offer(span(2, 100));
      await().atMost(Duration.ofSeconds(15)).until(() -> exported.get() == 2);
      assertEquals(4, collector.requests.get()); // three failures, then the same batch once more
      assertEquals(2, collector.memory.getFinishedSpanItems().size());
      assertEquals(0, failed.get());
    }
  }

  @Test
  void aBatchTheCollectorNeverTakesIsCountedAsFailedAndReleased() {
    FlakyCollector down = new FlakyCollector(Integer.MAX_VALUE);
    try (ExportPipeline p = pipeline(down, 100, 1 << 20, Duration.ofSeconds(2))) {
      p.offer(span(1, 100));
      await().atMost(Duration.ofSeconds(10)).until(() -> failed.get() == 1);
      assertTrue(down.requests.get() >= 2, "tried more than once: " + down.requests.get());
      assertEquals(0, p.waiting());
      assertEquals(0, exported.get());
    }
  }

  /** A collector that never answers: every span stays waiting. */
  private static final class HangingCollector implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return new CompletableResultCode();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  @Test
  void aFullQueueDropsAndCountsWithoutBlocking() {
    try (ExportPipeline p = pipeline(new HangingCollector(), 8, 1 << 20, Duration.ofMinutes(5))) {
      long started = System.nanoTime();
      int accepted = 0;
      for (int i = 0; i < 1000; i++) {
        accepted += p.offer(span("play-" + (i % 10), i, 100)) ? 1 : 0;
      }
      assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(Duration.ofSeconds(2)) < 0, "offer never waits");
      assertEquals(8, accepted);
      assertEquals(992, dropped.get());
      assertEquals(8, p.waiting());
    }
  }

  @Test
  void aPlayThatFloodsItsLogCannotCrowdOutTheOthers() {
    try (ExportPipeline p = pipeline(new HangingCollector(), 100, 1 << 20, Duration.ofMinutes(5))) {
      int hostile = 0;
      for (int i = 0; i < 1000; i++) {
        hostile += p.offer(span("flood", i, 100)) ? 1 : 0;
      }
      assertEquals(25, hostile, "a quarter of the queue");
      for (int i = 0; i < 10; i++) {
        assertTrue(p.offer(span("quiet", i, 100)), "the quiet Play's span " + i);
      }
      assertEquals(975, dropped.get());
    }
  }

  @Test
  void theQueueIsBoundedInBytesToo() {
    try (ExportPipeline p = pipeline(new HangingCollector(), 1000, 10_000, Duration.ofMinutes(5))) { // 250 spans per Play
      assertTrue(p.offer(span(1, 6_000)));
      assertFalse(p.offer(span(2, 6_000)));
      assertTrue(p.offer(span(3, 4_000)));
      assertEquals(1, dropped.get());
      assertEquals(10_000, p.waitingBytes());
    }
  }
}
