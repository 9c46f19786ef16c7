package io.herologic.operator.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Percentiles of a set of durations in milliseconds (nearest rank: p99 of 200 samples is the 198th smallest). */
record Stats(int count, double p50, double p95, double p99, double max, double mean) {
  static final Stats EMPTY = new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);

  static Stats of(Collection<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    if (sorted.isEmpty()) {
      return EMPTY;
    }
    sorted.sort(Double::compare);
    double sum = 0;
    for (double v : sorted) {
      sum += v;
    }
    return new Stats(sorted.size(), rank(sorted, 50), rank(sorted, 95), rank(sorted, 99), sorted.get(sorted.size() - 1), sum / sorted.size());
  }

  private static double rank(List<Double> sorted, double p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.put("p50_ms", round(p50));
    m.put("p95_ms", round(p95));
    m.put("p99_ms", round(p99));
    m.put("max_ms", round(max));
    m.put("mean_ms", round(mean));
    return m;
  }

  static Double round(double v) {
    return Double.isNaN(v) ? null : Math.round(v * 10) / 10.0;
  }
}
