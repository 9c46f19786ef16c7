package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/**
 * How many finished Plays of a Workflow to keep, like a CronJob's history limits: the oldest
 * beyond these are deleted (their Pods with them), so finished Plays cannot pile up in etcd.
 */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlayHistory {
  public static final int DEFAULT_SUCCEEDED = 100;
  public static final int DEFAULT_FAILED = 100;

  @Min(0)
  @Max(10000)
  @JsonPropertyDescription("Succeeded Plays of this Workflow to keep; older ones are deleted. Default 100.")
  private Integer succeeded;

  @Min(0)
  @Max(10000)
  @JsonPropertyDescription("Failed and Cancelled Plays of this Workflow to keep; older ones are deleted. Default 100.")
  private Integer failed;
}
