package io.herologic.operator.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HistogramTest {
  private static final String BEFORE = """
      # HELP herologic_status_lag_seconds x
      # TYPE herologic_status_lag_seconds histogram
      herologic_status_lag_seconds_bucket{le="0.5"} 10
      herologic_status_lag_seconds_bucket{le="1.0"} 10
      herologic_status_lag_seconds_bucket{le="2.0"} 10
      herologic_status_lag_seconds_bucket{le="+Inf"} 10
      herologic_status_lag_seconds_count 10
      """;
  private static final String AFTER = """
      herologic_status_lag_seconds_bucket{le="0.5"} 60
      herologic_status_lag_seconds_bucket{le="1.0"} 90
      herologic_status_lag_seconds_bucket{le="2.0"} 105
      herologic_status_lag_seconds_bucket{le="+Inf"} 110
      herologic_status_lag_seconds_count 110
      herologic_status_patch_seconds_bucket{le="0.5"} 7
      """;

  @Test
  void quantilesOfTheObservationsBetweenTwoReadingsAreInterpolatedInTheirBucket() {
    Histogram h = Histogram.read(AFTER, "herologic_status_lag_seconds").since(Histogram.read(BEFORE, "herologic_status_lag_seconds"));
    assertEquals(100, h.count());
    assertEquals(0.5, h.quantile(0.5), 1e-9, "the 50th of 100 is the last of the first bucket's 50");
    assertEquals(0.5 + 0.5 * (80 - 50) / 30.0, h.quantile(0.8), 1e-9);
    assertEquals(2.0, h.quantile(0.99), 1e-9, "beyond the largest finite bound: that bound");
    assertEquals(0.2, h.fractionAbove(1.0), 1e-9);
  }

  @Test
  void noObservationsHaveNoQuantile() {
    Histogram h = Histogram.read(BEFORE, "herologic_status_lag_seconds").since(Histogram.read(BEFORE, "herologic_status_lag_seconds"));
    assertEquals(0, h.count());
    assertTrue(Double.isNaN(h.quantile(0.95)));
  }
}
