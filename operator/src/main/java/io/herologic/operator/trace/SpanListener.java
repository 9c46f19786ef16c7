package io.herologic.operator.trace;

/**
 * Hears of every span the {@link SpanAssembler} tracks, once each, when it is finished: at its
 * {@code span_end}, or at the Play's end for a span that never ended. It sees all of them, not only
 * those that fit the status budget; only the assembler's own caps against a hostile stream
 * ({@link TraceLimits#maxTrackedSpans}, {@link TraceLimits#maxHeldBytes}) keep a span from it.
 *
 * <p>Called on the log follower's thread while it holds the follower's lock: an implementation must
 * return at once (hand the span to a queue), never block or call the API server.
 */
@FunctionalInterface
public interface SpanListener {
  SpanListener NONE = span -> { };

  void spanFinished(FinishedSpan span);
}
