package io.herologic.operator.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Prometheus histogram of durations in seconds, read twice from a metrics page: the observations
 * made in between and their quantiles, interpolated within a bucket as Prometheus'
 * {@code histogram_quantile} does. A quantile in the +Inf bucket is reported as the largest finite bound.
 */
record Histogram(TreeMap<Double, Double> cumulative) {
  static Histogram read(String metricsText, String name) {
    return new Histogram(ApiMetrics.buckets(metricsText, name));
  }

  /** The observations made after {@code before} was read. */
  Histogram since(Histogram before) {
    TreeMap<Double, Double> d = new TreeMap<>();
    cumulative.forEach((le, n) -> d.put(le, n - before.cumulative.getOrDefault(le, 0.0)));
    return new Histogram(d);
  }

  double count() {
    return cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
  }

  /** The {@code q} quantile in seconds; NaN with no observations. */
  double quantile(double q) {
    double total = count();
    if (total <= 0) {
      return Double.NaN;
    }
    double rank = q * total;
    double lowerBound = 0;
    double below = 0;
    double largestFinite = 0;
    for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
      double le = bucket.getKey();
      double upTo = bucket.getValue();
      if (Double.isInfinite(le)) {
        return largestFinite;
      }
      if (upTo >= rank) {
        double inBucket = upTo - below;
        return inBucket <= 0 ? le : lowerBound + (le - lowerBound) * (rank - below) / inBucket;
      }
      lowerBound = le;
      below = upTo;
      largestFinite = le;
    }
    return largestFinite;
  }

  /** The share of observations above {@code seconds}, which must be a bucket bound. */
  double fractionAbove(double seconds) {
    Double upTo = cumulative.get(seconds);
    return upTo == null || count() == 0 ? Double.NaN : 1 - upTo / count();
  }

  Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", (long) count());
    m.put("p50_ms", Stats.round(quantile(0.5) * 1000));
    m.put("p95_ms", Stats.round(quantile(0.95) * 1000));
    m.put("p99_ms", Stats.round(quantile(0.99) * 1000));
    m.put("over_1_s_fraction", Double.isNaN(fractionAbove(1.0)) ? null : Math.round(fractionAbove(1.0) * 1000) / 1000.0);
    return m;
  }
}
