package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import lombok.AllArgsConstructor;
import lombok.Data;
import lombok.NoArgsConstructor;

/** An exception as Python reported it. */
@Data
@NoArgsConstructor
@AllArgsConstructor
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ErrorInfo {
  @JsonPropertyDescription("Exception type, such as ValueError.")
  private String type;

  @JsonPropertyDescription("Exception message.")
  private String message;

  @JsonPropertyDescription("Python traceback, possibly cut to fit the status budget.")
  private String traceback;
}
