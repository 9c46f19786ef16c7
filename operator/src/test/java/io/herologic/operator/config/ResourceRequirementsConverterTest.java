package io.herologic.operator.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import org.junit.jupiter.api.Test;

class ResourceRequirementsConverterTest {
  private final ResourceRequirementsConverter converter = new ResourceRequirementsConverter();

  @Test
  void readsWhatTheChartRenders() {
    ResourceRequirements r = converter.convert("{\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},\"limits\":{\"memory\":\"512Mi\"}}");
    assertEquals(new Quantity("100m"), r.getRequests().get("cpu"));
    assertEquals(new Quantity("128Mi"), r.getRequests().get("memory"));
    assertEquals(new Quantity("512Mi"), r.getLimits().get("memory"));
  }

  @Test
  void takesANumberAsAQuantity() {
    // helm's toJson writes `--set flowResources.requests.cpu=1` as a JSON number.
    assertEquals(new Quantity("1"), converter.convert("{\"requests\":{\"cpu\":1}}").getRequests().get("cpu"));
  }

  @Test
  void namesWhatIsWrong() {
    assertMessage("{\"requests\":{\"cpu\":\"lots\"}}", "requests.cpu is not a quantity: lots");
    assertMessage("{\"requests\":{\"memory\":\"1Gi\"},\"limits\":{\"memory\":\"512Mi\"}}", "requests.memory (1Gi) is above limits.memory (512Mi)");
    assertMessage("{\"request\":{\"cpu\":\"1\"}}", "not a ResourceRequirements in JSON");
    assertMessage("cpu=1", "not a ResourceRequirements in JSON");
  }

  private void assertMessage(String value, String expected) {
    var e = assertThrows(IllegalArgumentException.class, () -> converter.convert(value));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
