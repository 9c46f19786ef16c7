package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TokenCounts {
  @JsonPropertyDescription("Prompt (input) tokens.")
  private long input;

  @JsonPropertyDescription("Completion (output) tokens.")
  private long output;

  @JsonPropertyDescription("input + output.")
  private long total;
}
