package io.herologic.operator.ui;

import io.quarkus.runtime.StartupEvent;
import io.smallrye.config.ConfigMapping;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.Optional;

/** The LLM price table the UI computes costs with (HEROLOGIC_UI_PRICES; the chart's {@code prices} value). */
@ConfigMapping(prefix = "herologic.ui")
public interface UiPriceConfig {
  /** JSON: model name to {"input": USD, "output": USD} per million tokens. Unset: no costs, tokens only. */
  Optional<String> prices();

  /** Parsed once at start: a bad table stops the operator with a message naming the model and field. */
  @ApplicationScoped
  class Producer {
    @Produces
    @Singleton
    PriceTable priceTable(UiPriceConfig config) {
      return PriceTable.parse(config.prices().orElse(null));
    }

    void parseAtStart(@Observes StartupEvent start, PriceTable prices) {
      // Injecting it is enough: a bad table throws here, before the UI serves anything.
    }
  }
}
