package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.herologic.model.Span;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The cost of a Play's LLM calls: each span carrying GenAI token counts
 * ({@code gen_ai.usage.input_tokens}/{@code output_tokens}) priced by its model
 * ({@code gen_ai.response.model}, else {@code gen_ai.request.model}) in the {@link PriceTable}.
 */
final class PlayCosts {
  static final String INPUT_TOKENS = "gen_ai.usage.input_tokens";
  static final String OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
  static final String RESPONSE_MODEL = "gen_ai.response.model";
  static final String REQUEST_MODEL = "gen_ai.request.model";

  private PlayCosts() {}

  /**
   * {@code usd} sums the priced spans (absent when none is priced), {@code spans} is each priced
   * span's cost by id, {@code unpriced} the models that used tokens but have no price.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Cost(Double usd, Map<String, Double> spans, List<String> unpriced) {}

  static Cost of(List<Span> spans, PriceTable prices) {
    Map<String, Double> bySpan = new LinkedHashMap<>();
    TreeSet<String> unpriced = new TreeSet<>();
    double total = 0;
    for (Span span : spans) {
      JsonNode tags = span.getTags();
      if (tags == null || !tags.isObject() || !(tags.has(INPUT_TOKENS) || tags.has(OUTPUT_TOKENS))) {
        continue;
      }
      String response = text(tags, RESPONSE_MODEL);
      String request = text(tags, REQUEST_MODEL);
      Optional<Double> cost = prices.cost(tags.path(INPUT_TOKENS).asLong(0), tags.path(OUTPUT_TOKENS).asLong(0), response, request);
      if (cost.isPresent()) {
        bySpan.put(span.getId(), cost.get());
        total += cost.get();
      } else {
        unpriced.add(response != null ? response : request != null ? request : "(no model)");
      }
    }
    return new Cost(bySpan.isEmpty() ? null : total, bySpan, List.copyOf(unpriced));
  }

  private static String text(JsonNode tags, String name) {
    JsonNode value = tags.get(name);
    return value == null || !value.isTextual() || value.asText().isEmpty() ? null : value.asText();
  }
}
