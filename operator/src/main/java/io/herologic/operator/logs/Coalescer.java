package io.herologic.operator.logs;

import java.util.concurrent.TimeUnit;

/**
 * When one follower's trace changes are worth a status write: decides, at each tick, whether to
 * wake the Play's reconciler. Two rules bound the writes:
 * <ul>
 *   <li><b>An interval that grows with the trace.</b> Every patch writes the whole status, so a fixed
 *       interval would make a growing trace cost quadratic bytes: the interval is
 *       {@link #TICK_MILLIS} plus one tick per {@link #GROWTH_BYTES} held, at most
 *       {@link #MAX_INTERVAL_MILLIS}, which keeps the bytes written per second per Play bounded
 *       whatever the trace's size.</li>
 *   <li><b>Patience for what is still open.</b> A change that ends something (a span, the run) is
 *       written once the interval allows. A change that only starts or adds to an open span waits
 *       up to {@link #OPEN_PATIENCE_MILLIS} for the end that usually follows: a step that starts
 *       and ends within it costs one write, not two. It is still written within that time when no
 *       end comes.</li>
 * </ul>
 * Not thread-safe: one scheduler thread asks at a time.
 */
final class Coalescer {
  static final long TICK_MILLIS = 250;
  /** Each this many bytes of trace add one {@link #TICK_MILLIS} to the interval. */
  static final long GROWTH_BYTES = 64 * 1024;
  /** The longest interval, for the largest traces (status holds about 1 MiB at most). */
  static final long MAX_INTERVAL_MILLIS = 2_000;
  /** How long a change that ends nothing may wait for one that does. */
  static final long OPEN_PATIENCE_MILLIS = 1_000;

  private long wokenVersion = -1;
  private long wokenEndings;
  /** When the reconciler was last woken (System.nanoTime); "long ago" at first, so the first change may wake at once. */
  private long wokenAt;
  /** When the first change not woken for was seen, if there is one. */
  private long pendingSince;
  private boolean pending;

  Coalescer(long nowNanos) {
    this.wokenAt = nowNanos - TimeUnit.SECONDS.toNanos(10);
  }

  /** The interval, in milliseconds, for a trace of {@code bytes}: one tick per {@link #GROWTH_BYTES}, at most {@link #MAX_INTERVAL_MILLIS}. */
  static long interval(long bytes) {
    return Math.min(MAX_INTERVAL_MILLIS, TICK_MILLIS * (1 + Math.max(0, bytes) / GROWTH_BYTES));
  }

  /**
   * Whether to wake the reconciler now for a trace at {@code version} with {@code endings} (both
   * from the assembler) holding {@code bytes}; a true answer counts as woken.
   */
  boolean wakeNow(long nowNanos, long version, long endings, long bytes) {
    if (version == wokenVersion) {
      return false;
    }
    if (!pending) {
      pending = true;
      pendingSince = nowNanos;
    }
    boolean intervalPassed = nowNanos - wokenAt >= TimeUnit.MILLISECONDS.toNanos(interval(bytes));
    boolean somethingEnded = endings != wokenEndings;
    boolean waitedEnough = nowNanos - pendingSince >= TimeUnit.MILLISECONDS.toNanos(OPEN_PATIENCE_MILLIS);
    if (!intervalPassed || !(somethingEnded || waitedEnough)) {
      return false;
    }
    wokenVersion = version;
    wokenEndings = endings;
    wokenAt = nowNanos;
    pending = false;
    return true;
  }
}
