package io.herologic.operator.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ChangeArrivalsTest {
  @Test
  void aWriteCountsFromTheOldestChangeItCarriesForTheFirstTime() {
    ChangeArrivals arrivals = new ChangeArrivals();
    arrivals.changed(1, 100);
    arrivals.changed(2, 200);
    arrivals.snapshot(2);
    arrivals.changed(3, 300); // after the snapshot: the next write, not this one, carries it
    assertEquals(OptionalLong.of(100), arrivals.written(2));
    arrivals.snapshot(3);
    assertEquals(OptionalLong.of(300), arrivals.written(3));
    assertEquals(OptionalLong.empty(), arrivals.written(3), "a write of the same trace again carries nothing new");
  }

  @Test
  void aSnapshotThatWasNotWrittenLeavesItsChangesWaiting() {
    ChangeArrivals arrivals = new ChangeArrivals();
    arrivals.changed(1, 100);
    arrivals.snapshot(1); // the reconcile waited instead of writing
    arrivals.changed(2, 200);
    arrivals.snapshot(2);
    assertEquals(OptionalLong.of(100), arrivals.written(2));
  }

  @Test
  void aWriteBeforeAnyChangeCarriesNone() {
    ChangeArrivals arrivals = new ChangeArrivals();
    arrivals.snapshot(0);
    assertEquals(OptionalLong.empty(), arrivals.written(0));
  }

  @Test
  void manySnapshotsWithoutAWriteHoldBoundedMarksAndNeverUnderstateTheWait() {
    ChangeArrivals arrivals = new ChangeArrivals();
    for (int v = 1; v <= 10_000; v++) {
      arrivals.changed(v, v * 10L);
      arrivals.snapshot(v);
    }
    assertEquals(OptionalLong.of(10), arrivals.written(10_000), "the oldest change is the one counted");
    arrivals.changed(10_001, 200_000);
    arrivals.snapshot(10_001);
    assertEquals(OptionalLong.of(200_000), arrivals.written(10_001), "the write emptied the marks; the next change starts afresh");
  }
}
