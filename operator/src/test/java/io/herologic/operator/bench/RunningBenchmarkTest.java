package io.herologic.operator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.herologic.model.Play;
import io.herologic.model.Span;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** make bench-running's own yardsticks: how many ran at once, and when a span ended. */
class RunningBenchmarkTest {
  @Test
  void peakOverlapCountsIntervalsOpenAtTheSameMoment() {
    // a [0,10) b [5,15) c [10,20) d [12, still open): at 12..15 b, c and d overlap; a ends as c starts.
    Map<String, Long> start = Map.of("a", 0L, "b", 5L, "c", 10L, "d", 12L);
    Map<String, Long> end = Map.of("a", 10L, "b", 15L, "c", 20L);
    assertEquals(3, RunningBenchmark.peakOverlap(List.of("a", "b", "c", "d"), start, end));
    assertEquals(2, RunningBenchmark.peakOverlap(List.of("a", "b", "c"), start, end));
    assertEquals(1, RunningBenchmark.peakOverlap(List.of("a", "c"), start, end), "an end and a start at the same instant do not overlap");
    assertEquals(0, RunningBenchmark.peakOverlap(List.of("never-started"), start, end));
  }

  @Test
  void aSpanEndsAtItsStartPlusItsDurationAndARunningSpanHasNotEnded() {
    Play play = new Play();
    play.getMetadata().setName("p");
    Span done = new Span();
    done.setId("a");
    done.setName("span-00");
    done.setStartOffsetMs(250L);
    done.setDurationMs(1500L);
    Span open = new Span();
    open.setId("b");
    open.setName("span-01");
    open.setStartOffsetMs(3000L);
    play.getStatus().setTraceStartTime("2026-12-01T05:00:00.000Z");
    play.getStatus().setSpans(List.of(done, open));
    play.getMetadata().setManagedFields(List.of(
        new ManagedFieldsEntryBuilder().withManager("operator").withSubresource("status").withTime("2026-12-01T05:00:02Z").build(),
        new ManagedFieldsEntryBuilder().withManager("kubectl").withTime("2026-12-01T05:00:09Z").build())); // a spec write: not the status's

    List<SpanArrivals.Arrival> ended = SpanArrivals.ended(play, 1_796_101_202_000.5);
    assertEquals(1, ended.size());
    SpanArrivals.Arrival a = ended.get(0);
    assertEquals("p", a.play());
    assertEquals("a", a.spanId());
    assertEquals(1_796_101_201_750.0, a.endedAtMs()); // 05:00:00.250 + 1.5 s
    assertEquals(250.5, a.latencyMs(), 1e-9);
    assertEquals(250.0, a.writtenMs(), 1e-9, "the status write's time, 05:00:02, minus the end");
  }
}
