package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * How a Workflow's runs are going, over its last N Plays (newest N by creation, shown oldest
 * first): phases, success rate among the finished ones, p50 and p95 duration, tokens, and the
 * cost of the priced LLM calls. A pure function of the Plays and a cost per Play.
 */
public final class WorkflowStats {
  public static final int DEFAULT_LAST = 50;
  public static final int MAX_LAST = 500;

  private WorkflowStats() {}

  /** One run, as a bar of the chart. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Run(String name, PlayPhase phase, String created, Long durationMs, Long tokens, Double costUsd) {}

  /**
   * {@code successRate} is succeeded / finished (absent when none finished); durations are over the
   * finished runs; {@code costUsd} sums the priced calls (absent when none is priced) and
   * {@code unpriced} names the models that used tokens without a price.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Stats(String namespace, String workflow, int last, int runs, Map<PlayPhase, Integer> phases, int finished,
      Double successRate, Long p50Ms, Long p95Ms, long inputTokens, long outputTokens, Double costUsd, List<String> unpriced,
      List<Run> series) {}

  public static Stats of(String namespace, String workflow, List<Play> plays, int last, Function<Play, PlayCosts.Cost> costOf) {
    List<Play> newest = PlayViews.newestFirst(plays.stream().filter(p -> workflow.equals(p.getSpec().getWorkflow())));
    List<Play> recent = new ArrayList<>(newest.subList(0, Math.min(last, newest.size())));
    Collections.reverse(recent); // the chart reads left to right, oldest first
    Map<PlayPhase, Integer> phases = new EnumMap<>(PlayPhase.class);
    List<Long> durations = new ArrayList<>();
    List<Run> series = new ArrayList<>();
    TreeSet<String> unpriced = new TreeSet<>();
    int finished = 0;
    int succeeded = 0;
    long input = 0;
    long output = 0;
    double cost = 0;
    boolean priced = false;
    for (Play play : recent) {
      PlayPhase phase = PlayViews.phaseOf(play);
      phases.merge(phase, 1, Integer::sum);
      PlayStatus s = play.getStatus() == null ? new PlayStatus() : play.getStatus();
      if (phase.isFinal()) {
        finished++;
        if (phase == PlayPhase.Succeeded) {
          succeeded++;
        }
        if (s.getDurationMs() != null) {
          durations.add(s.getDurationMs());
        }
      }
      if (s.getTokens() != null) {
        input += s.getTokens().getInput();
        output += s.getTokens().getOutput();
      }
      PlayCosts.Cost c = costOf.apply(play);
      if (c.usd() != null) {
        cost += c.usd();
        priced = true;
      }
      unpriced.addAll(c.unpriced());
      series.add(new Run(play.getMetadata().getName(), phase, play.getMetadata().getCreationTimestamp(), s.getDurationMs(),
          s.getTokens() == null ? null : s.getTokens().getTotal(), c.usd()));
    }
    durations.sort(null);
    return new Stats(namespace, workflow, last, recent.size(), phases, finished, finished == 0 ? null : (double) succeeded / finished,
        percentile(durations, 50), percentile(durations, 95), input, output, priced ? cost : null, List.copyOf(unpriced), series);
  }

  /** The nearest-rank percentile of sorted values; null for none. */
  static Long percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return null;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size(), rank) - 1));
  }

  static int last(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_LAST;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1 && n <= MAX_LAST) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("last: must be a whole number from 1 to " + MAX_LAST + ", got \"" + Objects.toString(value) + "\"");
  }
}
