package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/** What the runner and the operator left out so that a large trace never breaks a Play. */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DroppedCounts {
  @JsonPropertyDescription("Spans not shown in status.spans.")
  private long spans;

  @JsonPropertyDescription("Log lines left out of spans.")
  private long logs;

  @JsonPropertyDescription("Bytes of text (logs, tags, tracebacks) cut.")
  private long bytes;

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean any() {
    return spans > 0 || logs > 0 || bytes > 0;
  }
}
