package io.herologic.operator.export;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The W3C trace context a Play may carry in its {@value #ANNOTATION} annotation
 * ({@code 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>}): a CI job, or a flow that
 * started this Play, puts its own trace id and current span id there, so the Play's trace joins
 * theirs and its root span hangs under their span.
 */
public record TraceParent(String traceId, String parentSpanId) {
  public static final String ANNOTATION = "herologic.io/traceparent";
  private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

  /** The annotation's raw value on this object, if it has one. */
  public static Optional<String> annotation(HasMetadata object) {
    var annotations = object.getMetadata().getAnnotations();
    return Optional.ofNullable(annotations == null ? null : annotations.get(ANNOTATION));
  }

  /**
   * Parses a traceparent value.
   *
   * @throws IllegalArgumentException naming the part that is wrong
   */
  public static TraceParent parse(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("is empty");
    }
    String[] parts = value.strip().split("-", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("has " + parts.length + " dash-separated parts, not 4 (version-traceid-parentid-flags)");
    }
    String version = parts[0];
    check(version, 2, "version");
    if (!version.equals("00")) {
      throw new IllegalArgumentException("has version " + version + "; only 00 is understood");
    }
    check(parts[1], 32, "trace id");
    if (parts[1].chars().allMatch(c -> c == '0')) {
      throw new IllegalArgumentException("has an all-zero trace id, which W3C trace context forbids");
    }
    check(parts[2], 16, "parent span id");
    if (parts[2].chars().allMatch(c -> c == '0')) {
      throw new IllegalArgumentException("has an all-zero parent span id, which W3C trace context forbids");
    }
    check(parts[3], 2, "flags");
    return new TraceParent(parts[1], parts[2]);
  }

  /** Whether {@code s} is exactly {@code digits} lowercase hex digits (an OpenTelemetry trace or span id). */
  static boolean isHex(String s, int digits) {
    return s != null && s.length() == digits && HEX.matcher(s).matches();
  }

  private static void check(String part, int digits, String what) {
    if (!isHex(part, digits)) {
      throw new IllegalArgumentException("has " + what + " \"" + (part.length() > 40 ? part.substring(0, 40) + "…" : part)
          + "\", not " + digits + " lowercase hex digits");
    }
  }
}
