package io.herologic.operator.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.spi.Converter;

/**
 * Reads a setting written as a Kubernetes ResourceRequirements in JSON (the chart renders its
 * {@code flowResources} value with toJson), so a typo stops the operator at start, naming the
 * setting, instead of failing every Play's Pod creation later.
 */
public final class ResourceRequirementsConverter implements Converter<ResourceRequirements> {
  /** Kubernetes' quantity grammar (apimachinery's resource.Quantity); Fabric8's Quantity accepts more. */
  private static final Pattern QUANTITY = Pattern.compile("[+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public ResourceRequirements convert(String value) {
    ResourceRequirements resources;
    try {
      resources = JSON.readValue(value, ResourceRequirements.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a ResourceRequirements in JSON (" + e.getOriginalMessage()
          + "), for example {\"requests\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},\"limits\":{\"memory\":\"512Mi\"}}: " + value);
    }
    // Fabric8's models keep unknown fields instead of failing on them: a "request" typo would vanish.
    if (!resources.getAdditionalProperties().isEmpty()) {
      throw new IllegalArgumentException("not a ResourceRequirements in JSON (unknown fields " + resources.getAdditionalProperties().keySet()
          + "; known: requests, limits, claims): " + value);
    }
    Map<String, BigDecimal> requests = amounts("requests", resources.getRequests());
    Map<String, BigDecimal> limits = amounts("limits", resources.getLimits());
    requests.forEach((name, request) -> {
      BigDecimal limit = limits.get(name);
      if (limit != null && request.compareTo(limit) > 0) {
        throw new IllegalArgumentException("requests." + name + " (" + resources.getRequests().get(name)
            + ") is above limits." + name + " (" + resources.getLimits().get(name) + ")");
      }
    });
    return resources;
  }

  private static Map<String, BigDecimal> amounts(String field, Map<String, Quantity> quantities) {
    if (quantities == null) {
      return Map.of();
    }
    var amounts = new java.util.HashMap<String, BigDecimal>();
    quantities.forEach((name, quantity) -> {
      try {
        if (quantity == null || !QUANTITY.matcher(quantity.toString()).matches()) {
          throw new IllegalArgumentException("not a quantity");
        }
        amounts.put(name, Quantity.getAmountInBytes(quantity));
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new IllegalArgumentException(field + "." + name + " is not a quantity: " + quantity);
      }
    });
    return amounts;
  }
}
