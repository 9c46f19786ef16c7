package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.Data;

/** Where a flow's LLM calls go. The API key is never stored here, only the Secret that holds it. */
@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LlmSettings {
  @JsonPropertyDescription("Base URL of an OpenAI-compatible API, for example https://api.openai.com/v1. The flow posts to <baseUrl>/chat/completions.")
  private String baseUrl;

  @JsonPropertyDescription("Model name used when the Play's inputs name none.")
  private String model;

  @JsonPropertyDescription("Secret key (same namespace) holding the API key; it reaches the flow as the HEROLOGIC_LLM_API_KEY environment variable.")
  private SecretKeyRef apiKeySecretRef;
}
