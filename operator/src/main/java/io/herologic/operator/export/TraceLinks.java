package io.herologic.operator.export;

import io.herologic.operator.config.OperatorConfig;
import java.util.Optional;

/** The "open in tracing" link a Play's page shows: {@code herologic.trace-url-template} with the Play's trace id. */
public final class TraceLinks {
  public static final String PLACEHOLDER = "{traceId}";

  private TraceLinks() {}

  /**
   * The configured template, checked: an http(s) URL with {@value #PLACEHOLDER} in it.
   *
   * @throws IllegalArgumentException naming the setting when it is set to anything else
   */
  public static Optional<String> template(OperatorConfig config) {
    return config.traceUrlTemplate().map(String::strip).filter(t -> !t.isEmpty()).map(t -> {
      if (!(t.startsWith("http://") || t.startsWith("https://")) || !t.contains(PLACEHOLDER)) {
        throw new IllegalArgumentException("herologic.trace-url-template \"" + t + "\" is not an http:// or https:// URL with "
            + PLACEHOLDER + " in it (for Jaeger: https://jaeger.example/trace/{traceId})");
      }
      return t;
    });
  }
}
