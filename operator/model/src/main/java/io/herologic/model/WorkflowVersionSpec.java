package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self == oldSelf",
    message = "WorkflowVersion spec is immutable: create a new WorkflowVersion for a new source and point the Workflow's currentVersion at it")
@ValidationRule(
    value = "has(self.source) != has(self.sourceRef)",
    message = "set exactly one of source (inline Python) or sourceRef (a ConfigMap key)")
public class WorkflowVersionSpec {
  @Required
  @Pattern(Names.DNS_SUBDOMAIN)
  @JsonPropertyDescription("Name of the Workflow this version belongs to.")
  private String workflow;

  @JsonPropertyDescription("The Python source, inline. It must define exactly one function decorated with @flow(name=..., inputs={...}).")
  private String source;

  @JsonPropertyDescription("The Python source, read from a ConfigMap key (data or binaryData) in the same namespace.")
  private ConfigMapKeyRef sourceRef;

  @JsonPropertyDescription("What changed in this version.")
  private String description;
}
