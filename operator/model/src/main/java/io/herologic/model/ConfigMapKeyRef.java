package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ConfigMapKeyRef {
  @Required
  @JsonPropertyDescription("Name of the ConfigMap.")
  private String name;

  @Required
  @JsonPropertyDescription("Key in the ConfigMap's data (UTF-8 text) or binaryData (exact bytes).")
  private String key;
}
