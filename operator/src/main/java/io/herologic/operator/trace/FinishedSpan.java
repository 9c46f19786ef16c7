package io.herologic.operator.trace;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.herologic.model.ErrorInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One finished span as the runner emitted it (within the assembler's caps), for a
 * {@link SpanListener}: a copy, so the assembler may go on changing its own state.
 *
 * @param traceId the trace id the runner's {@code run_start} named, or null
 * @param parentId null for the flow's root span
 * @param startSeconds epoch seconds, 0 when the start never arrived
 * @param error whether the span ended with {@code status: error}, or never ended ({@link #endedByOperator})
 * @param logs the span's kept log lines, head then tail; {@code logsDropped} fell between them
 * @param tokens the counts of the span's {@code tokens} event, when it had one
 * @param line the 1-based number of the log line that finished the span (the same after a re-read of the log)
 * @param endedByOperator the span never ended in the log: the operator ended it at the Play's end
 * @param bytes what the span held in the assembler (its accounted size), for a bounded queue of them
 */
public record FinishedSpan(
    String traceId, String spanId, String parentId, String name, String kind, boolean error,
    double startSeconds, double endSeconds, ObjectNode tags, List<String> logs, long logsDropped,
    ErrorInfo errorInfo, Optional<Tokens> tokens, long line, boolean endedByOperator, long bytes) {

  /** Token counts of an LLM span. */
  public record Tokens(long input, long output) {}

  static FinishedSpan of(SpanState s, String traceId, long line, boolean endedByOperator, double endSeconds) {
    List<String> logs = new ArrayList<>(s.headLogs);
    logs.addAll(s.tailLogs);
    return new FinishedSpan(traceId, s.id, s.parentId,
        s.name != null ? s.name : "(span " + s.id + " not started)", s.kind != null ? s.kind : "step",
        endedByOperator || "Error".equals(s.status), s.startTs, endSeconds,
        s.tags == null ? null : s.tags.deepCopy(), List.copyOf(logs), s.logsDropped, s.error,
        s.tokensReported ? Optional.of(new Tokens(s.inputTokens, s.outputTokens)) : Optional.empty(),
        line, endedByOperator, s.bytes());
  }
}
