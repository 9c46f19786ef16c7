package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/** How many Plays of one Workflow may run at once, and what happens to a Play beyond that. */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ConcurrencyPolicy {
  @Required
  @Min(1)
  @Max(10000)
  @JsonPropertyDescription("The most Plays of this Workflow running at once (a Play holds its place from its first Pod until it ends, retries included).")
  private Integer maxRunning;

  @JsonPropertyDescription("What a new Play does when maxRunning Plays already run: Queue (wait Pending, reason Queued, and start in creation order as places free), Forbid (fail at once with reason ConcurrencyLimit), Replace (cancel the oldest running Play, reason Replaced, and start when it has stopped). Default Queue.")
  private ConcurrencyMode policy;
}
