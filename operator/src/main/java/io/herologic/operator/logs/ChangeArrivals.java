package io.herologic.operator.logs;

import java.util.ArrayDeque;
import java.util.OptionalLong;

/**
 * When the changes of one trace arrived that no status write has carried yet, so that each write
 * can tell how long its oldest change waited (the staleness of a running Play's status). A change
 * is known by the trace's version after it ({@code SpanAssembler#version}). Only the first change
 * after each snapshot needs remembering: it is the oldest change that a write of any later snapshot
 * carries for the first time. Snapshots are taken by reconciles, so this holds a few marks; it never holds more than
 * {@link #MAX_MARKS} (a later change is then counted from an older mark: the lag is never
 * understated). Not thread-safe: the follower calls it under its own lock.
 */
final class ChangeArrivals {
  static final int MAX_MARKS = 64;

  /** The version of the first change after a snapshot, and when it arrived (System.nanoTime), oldest first. */
  private record Mark(long version, long arrivedAt) {}

  private final ArrayDeque<Mark> marks = new ArrayDeque<>();
  private long snapshotVersion = -1;

  /** The trace reached {@code version} with a line read at {@code nanos}. */
  void changed(long version, long nanos) {
    Mark last = marks.peekLast();
    boolean newSinceSnapshot = last == null || last.version() <= snapshotVersion;
    if (newSinceSnapshot && marks.size() < MAX_MARKS) {
      marks.addLast(new Mark(version, nanos));
    }
  }

  /** A snapshot of the trace at {@code version} was taken. */
  void snapshot(long version) {
    snapshotVersion = version;
  }

  /**
   * A status write carried the snapshot at {@code version}: when the oldest change it carried for
   * the first time arrived (System.nanoTime), or empty when it carried none.
   */
  OptionalLong written(long version) {
    OptionalLong oldest = OptionalLong.empty();
    while (!marks.isEmpty() && marks.peekFirst().version() <= version) {
      Mark carried = marks.pollFirst();
      if (oldest.isEmpty()) {
        oldest = OptionalLong.of(carried.arrivedAt());
      }
    }
    return oldest;
  }
}
