package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/** The wait before retry n (1 for the first): min(maxSeconds, initialSeconds * factor^(n-1)). */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetryBackoff {
  public static final int DEFAULT_INITIAL_SECONDS = 10;
  public static final int DEFAULT_FACTOR = 2;
  public static final int DEFAULT_MAX_SECONDS = 300;

  @Min(0)
  @Max(86400)
  @JsonPropertyDescription("Seconds before the first retry. Default 10.")
  private Integer initialSeconds;

  @Min(1)
  @Max(10)
  @JsonPropertyDescription("Each further wait is the previous one times this. Default 2.")
  private Integer factor;

  @Min(0)
  @Max(86400)
  @JsonPropertyDescription("The longest wait between attempts, in seconds. Default 300.")
  private Integer maxSeconds;
}
