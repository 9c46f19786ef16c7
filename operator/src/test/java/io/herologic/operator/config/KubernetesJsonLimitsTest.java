package io.herologic.operator.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.Play;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A Play the API server accepts (5,000 levels of inputs, a 100,000-character key) is read, cut, and safe to handle. */
class KubernetesJsonLimitsTest {
  private static final int LEVELS = 5_000;

  /** A Play as the API server sends it: deep inputs, and managedFields just as deep (the field manager tracks every key). */
  private static String hostilePlay() {
    String deepInputs = "{\"a\":".repeat(LEVELS) + "1" + "}".repeat(LEVELS);
    String deepFields = "{\"f:a\":".repeat(LEVELS) + "{}" + "}".repeat(LEVELS);
    return """
        {"apiVersion": "herologic.io/v1alpha1", "kind": "Play",
         "metadata": {"name": "deep", "namespace": "ns",
           "managedFields": [{"manager": "kubectl", "operation": "Update", "fieldsType": "FieldsV1",
                              "fieldsV1": {"f:spec": {"f:inputs": %s}}}]},
         "spec": {"workflow": "w", "inputs": {"data": %s, "%s": true}}}
        """.formatted(deepFields, deepInputs, "k".repeat(100_000));
  }

  private static ObjectMapper customized() {
    ObjectMapper mapper = new ObjectMapper();
    new KubernetesJsonLimits().customize(mapper);
    return mapper;
  }

  @Test
  void jacksonsDefaultsCannotReadWhatTheApiServerAccepts() {
    IOException e = assertThrows(IOException.class, () -> new ObjectMapper().readValue(hostilePlay(), Play.class));
    assertTrue(e.getMessage().contains("nesting depth"), e.getMessage());
  }

  @Test
  void aHostilePlayIsReadAndCutSoThatHandlingItCannotOverflowTheStack() throws Exception {
    ObjectMapper mapper = customized();
    Play play = mapper.readValue(hostilePlay(), Play.class);

    JsonNode node = play.getSpec().getInputs().get("data");
    int depth = 2; // spec.inputs is level 1 of the cut tree, data level 2
    while (node.isObject()) {
      node = node.get("a");
      depth++;
    }
    assertEquals(DepthCappedJson.MAX_DEPTH + 1, depth, "the container at level 128 holds the marker in place of level 129");
    assertEquals(DepthCappedJson.CUT, node);
    assertTrue(play.getSpec().getInputs().get("k".repeat(100_000)).asBoolean());

    // what the informer, JOSDK and the status patch then do with it: compare, hash, copy, serialise
    Play again = mapper.readValue(hostilePlay(), Play.class);
    assertEquals(play, again);
    assertEquals(play.hashCode(), again.hashCode());
    String written = mapper.writeValueAsString(play);
    assertEquals(play, mapper.readValue(written, Play.class));
    @SuppressWarnings("unchecked")
    Map<String, Object> fields = (Map<String, Object>) play.getMetadata().getManagedFields().get(0).getFieldsV1().getAdditionalProperties().get("f:spec");
    assertTrue(mapper.writeValueAsString(fields).contains(DepthCappedJson.CUT.asText()), "untyped maps are cut too");
  }

  @Test
  void nullAndShallowValuesAreReadAsBefore() throws Exception {
    ObjectMapper mapper = customized();
    Play play = mapper.readValue("{\"spec\": {\"workflow\": \"w\", \"inputs\": null}, \"status\": {\"output\": null}}", Play.class);
    assertEquals(null, play.getSpec().getInputs());
    Play shallow = mapper.readValue("{\"spec\": {\"workflow\": \"w\", \"inputs\": {\"n\": 2, \"x\": [1.5, {\"y\": \"z\"}]}}}", Play.class);
    assertEquals(new ObjectMapper().readTree("{\"n\": 2, \"x\": [1.5, {\"y\": \"z\"}]}"), shallow.getSpec().getInputs());
  }
}
