package io.herologic.operator.it;

import io.herologic.model.Span;
import io.herologic.operator.trace.TraceSnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Depth of spans in {@code status.spans}, derived the way every reader of status derives it (the UI,
 * the CLI): the list is parents first, so a span's depth is its parent's depth + 1, 0 when its
 * parent does not come before it, at most {@link TraceSnapshot#MAX_DEPTH}.
 */
public final class SpanTrees {
  private SpanTrees() {}

  /** The depth of each span of {@code spans}, in list order. */
  public static List<Integer> depths(List<Span> spans) {
    Map<String, Integer> depthById = new HashMap<>();
    List<Integer> depths = new ArrayList<>(spans.size());
    for (Span span : spans) {
      Integer parentDepth = span.getParentId() == null ? null : depthById.get(span.getParentId());
      int depth = parentDepth == null ? 0 : Math.min(parentDepth + 1, TraceSnapshot.MAX_DEPTH);
      depths.add(depth);
      if (span.getId() != null) {
        depthById.putIfAbsent(span.getId(), depth);
      }
    }
    return depths;
  }

  /** The depth of {@code span}, one of {@code spans}. */
  public static int depthOf(List<Span> spans, Span span) {
    for (int i = 0; i < spans.size(); i++) {
      if (spans.get(i) == span) {
        return depths(spans).get(i);
      }
    }
    throw new IllegalArgumentException("span " + span.getName() + " is not in the list");
  }
}
