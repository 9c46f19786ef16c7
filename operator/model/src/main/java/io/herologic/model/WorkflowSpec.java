package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WorkflowSpec {
  @Required
  @Pattern(Names.DNS_SUBDOMAIN)
  @JsonPropertyDescription("Name of the WorkflowVersion (same namespace) that new Plays of this Workflow run. Change it to roll out a new version; running Plays keep the version they started with.")
  private String currentVersion;

  @JsonPropertyDescription("What this flow does, for people browsing Workflows.")
  private String description;

  @JsonPropertyDescription("ServiceAccount the flow Pods run as. Without it Pods get no API token at all; set it only for flows that call the Kubernetes API (the built-in agent does).")
  private String serviceAccountName;

  @JsonPropertyDescription("Container image for this Workflow's Plays. Default: the operator's flow image (python:3.12-slim).")
  private String image;

  @Min(1)
  @Max(604800)
  @JsonPropertyDescription("Default deadline in seconds for this Workflow's Plays (the Pod's activeDeadlineSeconds). A Play's own timeoutSeconds wins.")
  private Long timeoutSeconds;

  @JsonPropertyDescription("LLM endpoint for flows that call a model. A Play's own llm settings win field by field.")
  private LlmSettings llm;
}
