package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
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

  @Min(1)
  @JsonPropertyDescription("Most tokens per reply (the request's max_tokens); it reaches the flow as HEROLOGIC_LLM_MAX_TOKENS. Unset: not sent, the endpoint's default applies.")
  private Integer maxTokens;

  @Min(0)
  @Max(2)
  @JsonPropertyDescription("Sampling temperature; it reaches the flow as HEROLOGIC_LLM_TEMPERATURE. Unset: not sent (some reasoning models accept no other value than their default).")
  private Double temperature;
}
