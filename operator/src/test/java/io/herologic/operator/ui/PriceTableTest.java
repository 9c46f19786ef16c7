package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.Span;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PriceTableTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PriceTable PRICES = PriceTable.parse("""
      {"gpt-4o": {"input": 2.5, "output": 10}, "gpt-4o-mini": {"input": 0.15, "output": 0.6}, "free": {"input": 0, "output": 0}}""");

  @Test
  void aModelIsPricedExactlyOrByTheLongestNameItExtends() {
    assertEquals(Optional.of(new PriceTable.Price(2.5, 10)), PRICES.priceOf("gpt-4o"));
    assertEquals(Optional.of(new PriceTable.Price(0.15, 0.6)), PRICES.priceOf("gpt-4o-mini-2024-07-18"), "the longer name wins");
    assertEquals(Optional.of(new PriceTable.Price(2.5, 10)), PRICES.priceOf("gpt-4o-2024-08-06"));
    assertEquals(Optional.empty(), PRICES.priceOf("gpt-4"), "a prefix of a priced name is another model");
    assertEquals(Optional.empty(), PRICES.priceOf("gpt-4ox"), "only a dash continues a name");
    assertEquals(Optional.empty(), PRICES.priceOf(null));
  }

  @Test
  void costIsTokensTimesThePricePerMillionOnTheFirstPricedModel() {
    assertEquals(1_000 * 2.5 / 1e6 + 500 * 10 / 1e6, PRICES.cost(1_000, 500, "gpt-4o").orElseThrow(), 1e-12);
    assertEquals(Optional.of(0d), PRICES.cost(1_000, 500, "unknown-model", "free"), "falls back to the next model named");
    assertEquals(Optional.empty(), PRICES.cost(1_000, 500, null, "unknown-model"));
    assertEquals(Optional.empty(), PriceTable.parse(null).cost(1, 1, "gpt-4o"), "no table, no cost");
    assertTrue(PriceTable.parse("  ").isEmpty());
  }

  @Test
  void aBadTableIsRefusedNamingTheModelAndField() {
    assertEquals("herologic.ui.prices: gpt-4o.output: must be a number of USD per million tokens, 0 or more; got \"10\"",
        assertThrows(IllegalArgumentException.class, () -> PriceTable.parse("{\"gpt-4o\": {\"input\": 1, \"output\": \"10\"}}")).getMessage());
    assertEquals("herologic.ui.prices: m.input: must be a number of USD per million tokens, 0 or more; got nothing",
        assertThrows(IllegalArgumentException.class, () -> PriceTable.parse("{\"m\": {\"output\": 1}}")).getMessage());
    assertEquals("herologic.ui.prices: m.input: must be a number of USD per million tokens, 0 or more; got -1",
        assertThrows(IllegalArgumentException.class, () -> PriceTable.parse("{\"m\": {\"input\": -1, \"output\": 1}}")).getMessage());
    assertEquals("herologic.ui.prices: m: must be an object {\"input\": USD, \"output\": USD}",
        assertThrows(IllegalArgumentException.class, () -> PriceTable.parse("{\"m\": 3}")).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PriceTable.parse("[1]")).getMessage().contains("must be a JSON object"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> PriceTable.parse("{nope")).getMessage().startsWith("herologic.ui.prices: not JSON"));
  }

  @Test
  void aPlaysCostSumsItsPricedLlmSpansAndNamesTheUnpricedModels() {
    List<Span> spans = List.of(
        span("a", Map.of("gen_ai.request.model", "gpt-4o", "gen_ai.response.model", "gpt-4o-2024-08-06",
            "gen_ai.usage.input_tokens", 1000, "gen_ai.usage.output_tokens", 100)),
        span("b", Map.of("gen_ai.request.model", "gpt-4o-mini", "gen_ai.usage.input_tokens", 2000, "gen_ai.usage.output_tokens", 0)),
        span("c", Map.of("gen_ai.request.model", "llama-3", "gen_ai.usage.input_tokens", 5, "gen_ai.usage.output_tokens", 5)),
        span("d", Map.of("rpc.method", "search")));
    PlayCosts.Cost cost = PlayCosts.of(spans, PRICES);
    double a = 1000 * 2.5 / 1e6 + 100 * 10 / 1e6;
    double b = 2000 * 0.15 / 1e6;
    assertEquals(a + b, cost.usd(), 1e-12);
    assertEquals(Map.of("a", a, "b", b), cost.spans());
    assertEquals(List.of("llama-3"), cost.unpriced(), "tokens without a price are named, not counted as free");

    PlayCosts.Cost none = PlayCosts.of(spans, PriceTable.NONE);
    assertNull(none.usd(), "no priced span: no cost at all, not zero");
    assertEquals(List.of("gpt-4o-2024-08-06", "gpt-4o-mini", "llama-3"), none.unpriced());
  }

  private static Span span(String id, Map<String, Object> tags) {
    Span span = new Span();
    span.setId(id);
    span.setKind("llm");
    span.setTags(JSON.valueToTree(tags));
    return span;
  }
}
