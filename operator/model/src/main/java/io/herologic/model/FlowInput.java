package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import lombok.AllArgsConstructor;
import lombok.Builder;
import lombok.Data;
import lombok.NoArgsConstructor;

/** One input a flow declares in {@code @flow(inputs={...})}. */
@Data
@Builder
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class FlowInput {
  @JsonPropertyDescription("Input name: a keyword argument of the flow function.")
  private String name;

  @JsonPropertyDescription("JSON type the input must have: string, integer, number, boolean, object or array. Absent: any.")
  private String type;

  @JsonPropertyDescription("True when the input has no default, so every Play must give it.")
  private boolean required;

  @PreserveUnknownFields
  @JsonPropertyDescription("The default value, when one is declared.")
  private JsonNode defaultValue;

  @JsonPropertyDescription("What the input is for.")
  private String description;
}
