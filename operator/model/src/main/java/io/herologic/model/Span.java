package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import java.util.List;
import lombok.Data;

/** One unit of work in a Play: the flow itself, a step, an RPC or LLM call, a subprocess, a child Play. */
@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Span {
  @JsonPropertyDescription("Span id, 16 hex characters.")
  private String id;

  @JsonPropertyDescription("Parent span id; absent for the flow's root span. status.spans lists parents first, so depth = the parent's depth + 1 (0 when the parent does not come before it), capped at 32.")
  private String parentId;

  @JsonPropertyDescription("Span name, such as a step name or service.method.")
  private String name;

  @JsonPropertyDescription("flow, step, rpc, llm, subprocess, child-play, ...")
  private String kind;

  @JsonPropertyDescription("Running, Ok or Error.")
  private String status;

  @JsonPropertyDescription("Start in milliseconds after the Play's status.traceStartTime (absolute start = traceStartTime + startOffsetMs); absent when the span never said when it started.")
  private Long startOffsetMs;

  @JsonPropertyDescription("Duration in milliseconds; absent while running.")
  private Long durationMs;

  @PreserveUnknownFields
  @JsonPropertyDescription("Free-form tags; OpenTelemetry semantic-convention names where one exists (rpc.*, gen_ai.*, exception.*).")
  private JsonNode tags;

  @JsonPropertyDescription("Captured log lines.")
  private List<String> logs;

  @JsonPropertyDescription("The exception that ended this span.")
  private ErrorInfo error;
}
