package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/**
 * When a failed attempt of a Play runs again, in a new Pod. A cancelled Play and a Play that can
 * never run (invalid inputs, a refused Pod...) are never retried, whatever this says.
 */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class RetryPolicy {
  public static final List<RetryCause> DEFAULT_RETRY_ON = List.of(RetryCause.FlowFailed, RetryCause.PodLost);

  @Min(0)
  @Max(50)
  @JsonPropertyDescription("How many times a failed Play runs again (so at most limit + 1 attempts). Default 0: never.")
  private Integer limit;

  @JsonPropertyDescription("How long to wait before each new attempt. Default: 10s, doubling, at most 300s.")
  private RetryBackoff backoff;

  @Size(max = 3) // bounds the CEL cost of the immutability rule on a Play
  @JsonPropertyDescription("Which failures start a new attempt: FlowFailed (the flow raised or its process failed), PodLost (the Pod was deleted or evicted before the flow finished), DeadlineExceeded (the attempt ran past timeoutSeconds). Default: FlowFailed and PodLost.")
  private List<RetryCause> retryOn;
}
