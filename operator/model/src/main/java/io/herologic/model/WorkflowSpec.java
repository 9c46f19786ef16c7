package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
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

  @JsonPropertyDescription("ServiceAccount the flow Pods run as. Without it Pods get no API token at all. Naming one is as powerful as creating a Pod with it: the ServiceAccount must carry the label herologic.io/flow-runner=\"true\" (set by an administrator), and admission asks the author for permission to create pods.")
  private String serviceAccountName;

  @JsonPropertyDescription("Hand the flow the Services labelled herologic.io/discover=\"true\" in its namespace (names and JSON-RPC URLs, resolved by the operator when a Play starts, in the environment variable HEROLOGIC_SERVICES), so the flow needs no API token to find them. The built-in agent sets it.")
  private Boolean discoverServices;

  @JsonPropertyDescription("Container image for this Workflow's Plays. Default: the operator's flow image (python:3.12-slim).")
  private String image;

  @JsonPropertyDescription("CPU and memory for this Workflow's flow Pods, unless a Play sets its own (taken whole, not merged). Default: the operator's (chart value flowResources: requests 100m CPU and 128Mi memory, limit 512Mi memory).")
  private ResourceRequirements resources;

  @Min(1)
  @Max(604800)
  @JsonPropertyDescription("Default deadline in seconds for this Workflow's Plays (the Pod's activeDeadlineSeconds). A Play's own timeoutSeconds wins.")
  private Long timeoutSeconds;

  @JsonPropertyDescription("Declares that this Workflow's flows call a model. Only then do its Pods receive the namespace's LLM settings and API key (Secret herologic-llm, keys baseUrl, model, apiKey); set llm: {} to use those defaults as they are. Fields set here override them, and a Play's own llm settings override these field by field.")
  private LlmSettings llm;

  @JsonPropertyDescription("How many finished Plays of this Workflow to keep (like a CronJob's history limits): the oldest beyond the limit are deleted with their Pods. Defaults: 100 succeeded, 100 failed or cancelled. A Play's ttlSecondsAfterFinished may delete it sooner.")
  private PlayHistory history;

  @JsonPropertyDescription("Default retry policy of this Workflow's Plays: when a failed Play runs again in a new Pod. A Play's own retry replaces it as a whole.")
  private RetryPolicy retry;

  @JsonPropertyDescription("How many Plays of this Workflow may run at once, and what a Play beyond that does (Queue, Forbid, Replace). Unset: no limit of its own (the operator's limits still apply).")
  private ConcurrencyPolicy concurrency;
}
