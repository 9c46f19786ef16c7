package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/** One attempt of a Play: one Pod, from its creation to its end. */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlayAttempt {
  @JsonPropertyDescription("1 for the first attempt, 2 for the first retry, and so on.")
  private Integer attempt;

  @JsonPropertyDescription("The Pod this attempt ran in (kept after it ends, so its log stays readable).")
  private String podName;

  @JsonPropertyDescription("When the attempt's flow started running (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the attempt ended (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription("Pending, Running, Succeeded, Failed or Cancelled.")
  private PlayPhase phase;

  @JsonPropertyDescription("How a failed attempt failed: FlowFailed, PodLost or DeadlineExceeded.")
  private RetryCause cause;

  @JsonPropertyDescription("Exception type of a failed attempt, such as ValueError or PodDeleted.")
  private String errorType;

  @JsonPropertyDescription("First line of a failed attempt's error message.")
  private String errorMessage;
}
