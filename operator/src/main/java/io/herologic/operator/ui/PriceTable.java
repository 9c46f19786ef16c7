package io.herologic.operator.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What LLM tokens cost, in USD per million input and output tokens per model, from the operator's
 * setting {@code herologic.ui.prices} (the chart's {@code prices} value, as JSON:
 * {@code {"gpt-4o": {"input": 2.5, "output": 10}}}). A model without a price has no cost: the UI
 * shows its tokens only.
 *
 * <p>A model is looked up as reported, then by the longest priced name it starts with followed by
 * "-", so "gpt-4o" prices the dated "gpt-4o-2024-08-06" a provider answers with.
 */
public final class PriceTable {
  /** USD per million tokens. */
  public record Price(double input, double output) {}

  public static final PriceTable NONE = new PriceTable(Map.of());
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Price> prices;

  PriceTable(Map<String, Price> prices) {
    this.prices = Map.copyOf(prices);
  }

  /** Parses the setting; a bad one throws with a message naming the model and field. */
  public static PriceTable parse(String json) {
    if (json == null || json.isBlank()) {
      return NONE;
    }
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("herologic.ui.prices: not JSON: " + e.getOriginalMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("herologic.ui.prices: must be a JSON object of model name to {\"input\": USD, \"output\": USD} per million tokens");
    }
    Map<String, Price> prices = new TreeMap<>();
    root.fields().forEachRemaining(e -> {
      JsonNode p = e.getValue();
      if (!p.isObject()) {
        throw new IllegalArgumentException("herologic.ui.prices: " + e.getKey() + ": must be an object {\"input\": USD, \"output\": USD}");
      }
      prices.put(e.getKey(), new Price(usd(e.getKey(), "input", p.get("input")), usd(e.getKey(), "output", p.get("output"))));
    });
    return new PriceTable(prices);
  }

  private static double usd(String model, String field, JsonNode value) {
    if (value == null || !value.isNumber() || value.asDouble() < 0 || !Double.isFinite(value.asDouble())) {
      throw new IllegalArgumentException("herologic.ui.prices: " + model + "." + field
          + ": must be a number of USD per million tokens, 0 or more; got " + (value == null ? "nothing" : value.toString()));
    }
    return value.asDouble();
  }

  public Optional<Price> priceOf(String model) {
    if (model == null || model.isEmpty()) {
      return Optional.empty();
    }
    Price exact = prices.get(model);
    if (exact != null) {
      return Optional.of(exact);
    }
    return prices.keySet().stream().filter(name -> model.startsWith(name + "-"))
        .max(Comparator.comparingInt(String::length)).map(prices::get);
  }

  /** The cost in USD of these tokens on the first of {@code models} that has a price. */
  public Optional<Double> cost(long inputTokens, long outputTokens, String... models) {
    for (String model : models) {
      Optional<Price> price = priceOf(model);
      if (price.isPresent()) {
        return Optional.of((inputTokens * price.get().input() + outputTokens * price.get().output()) / 1_000_000d);
      }
    }
    return Optional.empty();
  }

  public boolean isEmpty() {
    return prices.isEmpty();
  }
}
