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

  @JsonPropertyDescription("sha256:<hex> of the snapshot: the exact source bytes of the first successful read. Set once, never changed afterwards, whatever happens to a sourceRef ConfigMap. Plays record the digest they ran.")
  private String digest;

  @JsonPropertyDescription("Size of the source in bytes (of the snapshot, once taken).")
  private Long sizeBytes;

  @JsonPropertyDescription("The immutable ConfigMap holding the snapshot, which Pods of this version mount: published by the operator and named after the digest (plus a generated suffix when another object held that name), verified before it is named here.")
  private String sourceConfigMap;

  @JsonPropertyDescription("Ready: the snapshot is published and holds a valid @flow (reasons Parsed, NoFlowDecorator, InvalidFlow, SourceNotFound, SourceTooLarge, InvalidSource, SnapshotLost). SourceChanged, for sourceRef only: whether the ConfigMap still holds the snapshot (SourceConfigMapMatches, SourceConfigMapChanged, SourceConfigMapGone); the version runs the snapshot either way.")
  private List<Condition> conditions = new ArrayList<>();
}
