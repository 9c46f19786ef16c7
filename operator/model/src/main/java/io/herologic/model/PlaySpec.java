package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
// Everything but cancel and ttlSecondsAfterFinished is fixed once the Play exists: a run is a record.
@ValidationRule(
    value = "self.workflow == oldSelf.workflow && self.?version == oldSelf.?version && self.?inputs == oldSelf.?inputs"
        + " && self.?image == oldSelf.?image && self.?timeoutSeconds == oldSelf.?timeoutSeconds"
        + " && self.?resources == oldSelf.?resources && self.?llm == oldSelf.?llm",
    message = "a Play's spec is immutable except cancel and ttlSecondsAfterFinished: create a new Play to run again")
@ValidationRule(
    value = "!(has(oldSelf.cancel) && oldSelf.cancel) || (has(self.cancel) && self.cancel)",
    message = "cancel cannot be undone")
public class PlaySpec {
  @Required
  @Pattern(Names.DNS_SUBDOMAIN)
  @JsonPropertyDescription("Name of the Workflow (same namespace) to run.")
  private String workflow;

  @Pattern(Names.DNS_SUBDOMAIN)
  @JsonPropertyDescription("WorkflowVersion to run. Default: the Workflow's currentVersion at the time the Play starts.")
  private String version;

  @PreserveUnknownFields
  @ValidationRule(value = "type(self) == map", message = "inputs must be a JSON object of input name to value")
  @JsonPropertyDescription("Inputs of the flow, as a JSON object: names and basic types are checked against the inputs the flow declares.")
  private JsonNode inputs;

  @JsonPropertyDescription("Container image for this Play. Default: the Workflow's image, else the operator's flow image.")
  private String image;

  @Min(1)
  @Max(604800)
  @JsonPropertyDescription("Deadline in seconds (the Pod's activeDeadlineSeconds); the Play fails with DeadlineExceeded after it. Default: the Workflow's, else the operator's (3600).")
  private Long timeoutSeconds;

  @JsonPropertyDescription("CPU and memory for the flow Pod. Default: requests 100m CPU and 128Mi memory, limit 512Mi memory.")
  private ResourceRequirements resources;

  @JsonPropertyDescription("LLM endpoint settings; each field set here overrides the Workflow's.")
  private LlmSettings llm;

  @JsonPropertyDescription("Set to true to stop a Pending or Running Play: its Pod is deleted and the Play ends as Cancelled.")
  private Boolean cancel;

  public boolean isCancelRequested() {
    return Boolean.TRUE.equals(cancel);
  }

  @Min(0)
  @JsonPropertyDescription("Delete the Play (and its Pod) this many seconds after it finished. Default: the operator's setting (keep forever when unset).")
  private Long ttlSecondsAfterFinished;
}
