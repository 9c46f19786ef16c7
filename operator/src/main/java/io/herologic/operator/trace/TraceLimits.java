package io.herologic.operator.trace;

/**
 * How much of a trace the operator keeps. Two kinds of bound:
 *
 * <p>What a Play's status may hold: etcd refuses objects over about 1.5 MiB, and a Play must never
 * fail because its flow was chatty, so the operator keeps the whole status near 1 MiB at most and
 * counts what it left out (status.dropped, condition TraceTruncated): {@code maxSpans},
 * {@code maxSpanBytes}, {@code maxLogLinesPerSpan}, {@code maxTotalSpanBytes}, {@code maxOutputBytes},
 * {@code maxTextBytes}.
 *
 * <p>What the assembler holds in memory while it reads a log, whatever the log says (the stream is
 * hostile input, flows/PROTOCOL.md): {@code maxTrackedSpans} spans, {@code maxHeldBytes} of span state
 * per Play, {@code maxNameBytes} per id, name, kind, tag key or error type, token counts up to
 * {@code maxTokens}, and at most {@code maxViolationLogs} log lines about protocol violations.
 */
public record TraceLimits(
    int maxSpans, int maxSpanBytes, int maxLogLinesPerSpan, int maxTotalSpanBytes, int maxOutputBytes, int maxTextBytes,
    int maxTrackedSpans, long maxHeldBytes, int maxNameBytes, long maxTokens, int maxViolationLogs) {

  public static final int MAX_TRACKED_SPANS = 10_000;
  public static final long MAX_HELD_BYTES = 8L * 1024 * 1024;
  public static final int MAX_NAME_BYTES = 1024;
  public static final long MAX_TOKENS = 1_000_000_000_000L;
  public static final int MAX_VIOLATION_LOGS = 10;

  /**
   * The documented defaults: 2,000 spans, 32 KiB per span (an LLM prompt in its tags fits), 64 log
   * lines per span, 768 KiB of spans in all, 128 KiB of output; in memory 10,000 spans (the runner's
   * own bound) and 8 MiB of span state per Play, names of 1 KiB, 10^12 tokens per count.
   */
  public static final TraceLimits DEFAULT = new TraceLimits(2_000, 32 * 1024, 64, 768 * 1024, 128 * 1024, 16 * 1024);

  /** Status bounds as given, memory bounds at their defaults. */
  public TraceLimits(int maxSpans, int maxSpanBytes, int maxLogLinesPerSpan, int maxTotalSpanBytes, int maxOutputBytes, int maxTextBytes) {
    this(maxSpans, maxSpanBytes, maxLogLinesPerSpan, maxTotalSpanBytes, maxOutputBytes, maxTextBytes,
        MAX_TRACKED_SPANS, MAX_HELD_BYTES, MAX_NAME_BYTES, MAX_TOKENS, MAX_VIOLATION_LOGS);
  }
}
