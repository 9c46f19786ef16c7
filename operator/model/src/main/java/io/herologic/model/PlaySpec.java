package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
// Fields may be neither added nor removed here; each field's own rule forbids changing its value.
// (One rule comparing optional fields is far over the API server's CEL cost budget; these are cheap.)
@ValidationRule(
    value = "self.workflow == oldSelf.workflow && has(self.version) == has(oldSelf.version)"
        + " && has(self.inputs) == has(oldSelf.inputs) && has(self.image) == has(oldSelf.image)"
        + " && has(self.timeoutSeconds) == has(oldSelf.timeoutSeconds) && has(self.resources) == has(oldSelf.resources)"
        + " && has(self.llm) == has(oldSelf.llm) && has(self.retry) == has(oldSelf.retry)",
    message = PlaySpec.IMMUTABLE)
@ValidationRule(
    value = "!(has(oldSelf.cancel) && oldSelf.cancel) || (has(self.cancel) && self.cancel)",
    message = "cancel cannot be undone")
public class PlaySpec {
  static final String IMMUTABLE = "a Play's spec is immutable except cancel and ttlSecondsAfterFinished: create a new Play to run again";

  @Required
  @Pattern(Names.DNS_SUBDOMAIN)
  @JsonPropertyDescription("Name of the Workflow (same namespace) to run.")
  private String workflow;

  @Pattern(Names.DNS_SUBDOMAIN)
  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("WorkflowVersion to run. Default: the Workflow's currentVersion at the time the Play starts.")
  private String version;

  @PreserveUnknownFields
  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("Inputs of the flow, as a JSON object: names and basic types are checked against the inputs the flow declares;"
      + " at most 32 levels deep and 192 KiB of compact JSON, also with the flow's declared defaults added. The flow's Pod"
      + " carries them in an annotation, readable by whoever"
      + " may read the Pod: pass secrets by reference, never as inputs.")
  private ObjectNode inputs;

  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("Container image for this Play. Default: the Workflow's image, else the operator's flow image.")
  private String image;

  @Min(1)
  @Max(604800)
  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("Deadline in seconds (the Pod's activeDeadlineSeconds); the Play fails with DeadlineExceeded after it. Default: the Workflow's, else the operator's (3600).")
  private Long timeoutSeconds;

  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("CPU and memory for the flow Pod, taken whole (not merged with the Workflow's). Default: the Workflow's, else the operator's (chart value flowResources: requests 100m CPU and 128Mi memory, limit 512Mi memory).")
  private ResourceRequirements resources;

  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("LLM endpoint settings; each field set here overrides the Workflow's. Used only when the Workflow declares llm (flows that do not call a model never receive a key).")
  private LlmSettings llm;

  @ValidationRule(value = "self == oldSelf", message = IMMUTABLE)
  @JsonPropertyDescription("Retry policy of this Play; replaces its Workflow's retry as a whole. A cancelled Play or one with invalid inputs never retries.")
  private RetryPolicy retry;

  @JsonPropertyDescription("Set to true to stop a Pending or Running Play: its Pod is deleted and the Play ends as Cancelled.")
  private Boolean cancel;

  @JsonIgnore
  public boolean isCancelRequested() {
    return Boolean.TRUE.equals(cancel);
  }

  @Min(0)
  @JsonPropertyDescription("Delete the Play (and its Pod) this many seconds after it finished. Default: the operator's setting (keep forever when unset).")
  private Long ttlSecondsAfterFinished;
}
