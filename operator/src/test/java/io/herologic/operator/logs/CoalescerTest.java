package io.herologic.operator.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * When a follower wakes its Play's reconciler: the interval grows with the trace, so the bytes a
 * Play's status patches write per second stay bounded; an end is written once the interval allows,
 * a start waits a little for the end that usually follows, and is written anyway when none comes.
 */
class CoalescerTest {
  private static final long T0 = 1_000_000_000_000L;

  @Test
  void aSmallTraceIsWrittenEveryTickAndALargeOneLessOften() {
    assertEquals(Coalescer.TICK_MILLIS, Coalescer.interval(0));
    assertEquals(Coalescer.TICK_MILLIS, Coalescer.interval(Coalescer.GROWTH_BYTES - 1));
    assertEquals(2 * Coalescer.TICK_MILLIS, Coalescer.interval(Coalescer.GROWTH_BYTES));
    assertEquals(5 * Coalescer.TICK_MILLIS, Coalescer.interval(4 * Coalescer.GROWTH_BYTES + 1));
    assertEquals(Coalescer.MAX_INTERVAL_MILLIS, Coalescer.interval(8L * 1024 * 1024), "capped for the largest traces");
  }

  @Test
  void bytesWrittenPerSecondStayBoundedWhateverTheSize() {
    // One patch writes the whole trace; per second that is size / interval.
    double bound = 2.0 * Coalescer.GROWTH_BYTES * 1000 / Coalescer.TICK_MILLIS;
    for (long size = 1024; size <= 1024 * 1024; size *= 2) {
      double perSecond = size * 1000.0 / Coalescer.interval(size);
      assertTrue(perSecond <= bound, size + " bytes every " + Coalescer.interval(size) + " ms: " + perSecond + " B/s > " + bound);
    }
  }

  @Test
  void aStepThatStartsAndEndsWithinThePatienceCostsOneWrite() {
    Coalescer c = new Coalescer(T0);
    assertFalse(c.wakeNow(at(0), 1, 0, 100), "a span started: it may wait for its end");
    assertFalse(c.wakeNow(at(250), 2, 0, 200), "tagged and logged: still open");
    assertFalse(c.wakeNow(at(500), 2, 0, 200));
    assertTrue(c.wakeNow(at(750), 3, 1, 300), "the span ended: written at once");
    assertFalse(c.wakeNow(at(1000), 3, 1, 300), "nothing new");
  }

  @Test
  void aStartWithNoEndIsWrittenOnceThePatienceHasPassed() {
    Coalescer c = new Coalescer(T0);
    assertFalse(c.wakeNow(at(0), 1, 0, 100));
    assertFalse(c.wakeNow(at(Coalescer.OPEN_PATIENCE_MILLIS - 1), 4, 0, 400), "still within the patience, however much changed");
    assertTrue(c.wakeNow(at(Coalescer.OPEN_PATIENCE_MILLIS), 4, 0, 400), "a span that stays open shows within the patience");
    // The patience counts from the first change not yet written.
    assertFalse(c.wakeNow(at(Coalescer.OPEN_PATIENCE_MILLIS + 500), 5, 0, 500));
    assertTrue(c.wakeNow(at(2 * Coalescer.OPEN_PATIENCE_MILLIS + 500), 5, 0, 500));
  }

  @Test
  void anEndStillWaitsForTheIntervalOfItsTraceSize() {
    long big = 4 * Coalescer.GROWTH_BYTES; // interval 5 ticks
    Coalescer c = new Coalescer(T0);
    assertTrue(c.wakeNow(at(0), 1, 1, big), "the first end is written at once");
    assertFalse(c.wakeNow(at(Coalescer.interval(big) - 1), 2, 2, big), "an end inside the interval waits");
    assertTrue(c.wakeNow(at(Coalescer.interval(big)), 2, 2, big));
  }

  private static long at(long millis) {
    return T0 + TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
