package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkflowVersionStatus {
  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;

  @JsonPropertyDescription("The name given in @flow(name=...), or the function's name.")
  private String flowName;

  @JsonPropertyDescription("The inputs declared in @flow(inputs={...}).")
  private List<FlowInput> inputs;

  @JsonPropertyDescription("sha256:<hex> of the exact source bytes. Plays record the digest they ran.")
  private String digest;

  @JsonPropertyDescription("Size of the source in bytes.")
  private Long sizeBytes;

  @JsonPropertyDescription("The immutable ConfigMap (operator-owned, named after the digest) that Pods of this version mount.")
  private String sourceConfigMap;

  @JsonPropertyDescription("Ready: the source was found and holds a valid @flow (reasons Parsed, NoFlowDecorator, InvalidFlow, SourceNotFound, SourceTooLarge).")
  private List<Condition> conditions = new ArrayList<>();
}
