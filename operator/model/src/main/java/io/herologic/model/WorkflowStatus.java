package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkflowStatus {
  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;

  @JsonPropertyDescription("The WorkflowVersion new Plays run, as resolved from spec.currentVersion.")
  private String currentVersion;

  @JsonPropertyDescription("Name of the flow declared by @flow(name=...) in the current version's source.")
  private String flowName;

  @JsonPropertyDescription("sha256 digest of the current version's source bytes.")
  private String digest;

  @JsonPropertyDescription("True when the current version exists and is Ready, so new Plays can start.")
  private Boolean ready;

  @JsonPropertyDescription("How many WorkflowVersions of this Workflow exist in the namespace.")
  private Integer versions;

  @JsonPropertyDescription("Ready: whether the pinned version exists and parsed (reasons VersionNotFound, VersionNotReady).")
  private List<Condition> conditions = new ArrayList<>();
}
