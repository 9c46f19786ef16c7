package io.herologic.operator.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * JOSDK's reconcile metrics carry each resource's name and namespace: about 75 series per Play,
 * a 4.5 MB /q/metrics page after a couple of hundred Plays. Dropping those tags keeps them per
 * controller, which is what a dashboard needs; per-Play detail lives in the Play's status.
 */
public class BoundedOperatorMetrics {
  @Produces
  @Singleton
  MeterFilter dropPerResourceTags() {
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith("operator.sdk.")) {
          return id;
        }
        List<Tag> kept = id.getTags().stream()
            .filter(t -> !t.getKey().equals("name") && !t.getKey().equals("namespace") && !t.getKey().startsWith("resource."))
            .toList();
        return id.replaceTags(kept);
      }
    };
  }
}
