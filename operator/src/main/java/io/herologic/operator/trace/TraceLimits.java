package io.herologic.operator.trace;

/**
 * How much of a trace a Play's status may hold. etcd refuses objects over about 1.5 MiB, and a
 * Play must never fail because its flow was chatty, so the operator keeps the whole status near
 * 1 MiB at most and counts what it left out (status.dropped, condition TraceTruncated).
 */
public record TraceLimits(
    int maxSpans, int maxSpanBytes, int maxLogLinesPerSpan, int maxTotalSpanBytes, int maxOutputBytes, int maxTextBytes) {

  /**
   * The documented defaults: 2,000 spans, 32 KiB per span (an LLM prompt in its tags fits), 64 log
   * lines per span, 768 KiB of spans in all, 128 KiB of output.
   */
  public static final TraceLimits DEFAULT = new TraceLimits(2_000, 32 * 1024, 64, 768 * 1024, 128 * 1024, 16 * 1024);
}
