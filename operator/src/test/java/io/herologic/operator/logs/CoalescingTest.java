package io.herologic.operator.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The coalescing interval grows with the trace, so the bytes a Play's status patches write per second stay bounded. */
class CoalescingTest {

  @Test
  void aSmallTraceIsWrittenEveryTickAndALargeOneLessOften() {
    assertEquals(LogFollowers.TICK_MILLIS, LogFollowers.coalescing(0));
    assertEquals(LogFollowers.TICK_MILLIS, LogFollowers.coalescing(LogFollowers.GROWTH_BYTES - 1));
    assertEquals(2 * LogFollowers.TICK_MILLIS, LogFollowers.coalescing(LogFollowers.GROWTH_BYTES));
    assertEquals(5 * LogFollowers.TICK_MILLIS, LogFollowers.coalescing(4 * LogFollowers.GROWTH_BYTES + 1));
    assertEquals(LogFollowers.MAX_COALESCING_MILLIS, LogFollowers.coalescing(8L * 1024 * 1024), "capped for the largest traces");
  }

  @Test
  void bytesWrittenPerSecondStayBoundedWhateverTheSize() {
    // One patch writes the whole trace; per second that is size / interval.
    double bound = 2.0 * LogFollowers.GROWTH_BYTES * 1000 / LogFollowers.TICK_MILLIS;
    for (long size = 1024; size <= 1024 * 1024; size *= 2) {
      double perSecond = size * 1000.0 / LogFollowers.coalescing(size);
      assertTrue(perSecond <= bound, size + " bytes every " + LogFollowers.coalescing(size) + " ms: " + perSecond + " B/s > " + bound);
    }
  }
}
