package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlayStatus {
  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;

  @JsonPropertyDescription("Pending, Running, Succeeded, Failed or Cancelled.")
  private PlayPhase phase;

  @JsonPropertyDescription("One line saying why the Play is in its phase.")
  private String message;

  @JsonPropertyDescription("The WorkflowVersion this Play runs (resolved once, then fixed).")
  private String workflowVersion;

  @JsonPropertyDescription("sha256 digest of the source this Play runs.")
  private String digest;

  @JsonPropertyDescription("The flow's name, from @flow(name=...).")
  private String flowName;

  @JsonPropertyDescription("The Pod running the flow.")
  private String podName;

  @JsonPropertyDescription("Trace id (32 hex characters) shared by every span of this Play.")
  private String traceId;

  @JsonPropertyDescription("When the flow Pod started running (RFC 3339).")
  private String startTime;

  @JsonPropertyDescription("When the Play reached a final phase (RFC 3339).")
  private String completionTime;

  @JsonPropertyDescription("Run time in milliseconds.")
  private Long durationMs;

  @JsonPropertyDescription("Run time for people, such as 1.2s or 3m4s.")
  private String duration;

  @PreserveUnknownFields
  @JsonPropertyDescription("The flow's return value (JSON).")
  private JsonNode output;

  @JsonPropertyDescription("Why the flow failed: exception type, message and traceback.")
  private ErrorInfo error;

  @JsonPropertyDescription("LLM tokens summed over the Play's llm spans.")
  private TokenCounts tokens;

  @JsonPropertyDescription("The span tree as a flat list, parents before children (depth-first, siblings by start): a span's depth is its parent's depth + 1, 0 for a span whose parent does not come before it, capped at 32.")
  private List<Span> spans;

  @JsonPropertyDescription("When the trace began (RFC 3339, milliseconds): the earliest start among the spans; each span's startOffsetMs counts from here.")
  private String traceStartTime;

  @JsonPropertyDescription("How many spans the flow reported, including any dropped from this status.")
  private Integer spanCount;

  @JsonPropertyDescription("What was left out to keep the status within its size budget, by the runner or the operator.")
  private DroppedCounts dropped;

  @JsonPropertyDescription("Sequence number of the last span event applied.")
  private Long lastEventSeq;

  @JsonPropertyDescription("The attempt running or last run: 1, then 2 for the first retry and so on. The span tree, output and error are this attempt's.")
  private Integer attempt;

  @JsonPropertyDescription("Every attempt so far, oldest first: its Pod, start, end, phase and error.")
  private List<PlayAttempt> attempts;

  @JsonPropertyDescription("Ready (the workflow and version resolved), Running, Completed, and TraceTruncated when the budget dropped anything.")
  private List<Condition> conditions = new ArrayList<>();
}
