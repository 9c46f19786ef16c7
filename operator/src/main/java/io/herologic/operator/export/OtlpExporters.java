package io.herologic.operator.export;

import io.herologic.operator.config.OperatorConfig;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The OpenTelemetry SDK's OTLP span exporter, built from the operator's {@code herologic.otlp.*} settings. */
final class OtlpExporters {
  static final String HTTP = "http/protobuf";
  static final String GRPC = "grpc";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private OtlpExporters() {}

  /**
   * The exporter for {@code config}, whose endpoint is set.
   *
   * @throws IllegalArgumentException naming the setting that is wrong (never echoing a header's value)
   */
  static SpanExporter create(OperatorConfig.Otlp config) {
    String endpoint = endpoint(config.endpoint().orElseThrow());
    Map<String, String> headers = config.headers().map(OtlpExporters::headers).orElse(Map.of());
    Optional<byte[]> ca = config.certificate().map(f -> read(f, "herologic.otlp.certificate"));
    Optional<byte[]> clientCert = config.clientCertificate().map(f -> read(f, "herologic.otlp.client-certificate"));
    Optional<byte[]> clientKey = config.clientKey().map(f -> read(f, "herologic.otlp.client-key"));
    if (clientCert.isPresent() != clientKey.isPresent()) {
      throw new IllegalArgumentException("herologic.otlp.client-certificate and herologic.otlp.client-key go together: set both or neither");
    }
    // Retries are ExportPipeline's (they outlast a collector restart); the SDK's own would nest inside them.
    return switch (config.protocol()) {
      case HTTP -> {
        var b = OtlpHttpSpanExporter.builder().setEndpoint(httpTracesUrl(endpoint)).setTimeout(TIMEOUT)
            .setRetryPolicy(null).setMeterProvider(MeterProvider::noop);
        headers.forEach(b::addHeader);
        ca.ifPresent(b::setTrustedCertificates);
        clientKey.ifPresent(key -> b.setClientTls(key, clientCert.get()));
        yield b.build();
      }
      case GRPC -> {
        var b = OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).setTimeout(TIMEOUT)
            .setRetryPolicy(null).setMeterProvider(MeterProvider::noop);
        headers.forEach(b::addHeader);
        ca.ifPresent(b::setTrustedCertificates);
        clientKey.ifPresent(key -> b.setClientTls(key, clientCert.get()));
        yield b.build();
      }
      default -> throw new IllegalArgumentException("herologic.otlp.protocol is \"" + config.protocol() + "\"; use " + HTTP + " or " + GRPC);
    };
  }

  static String endpoint(String value) {
    URI uri;
    try {
      uri = URI.create(value.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("herologic.otlp.endpoint is not a URL: " + e.getMessage());
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new IllegalArgumentException("herologic.otlp.endpoint \"" + value + "\" is not an http:// or https:// URL with a host");
    }
    return value.strip();
  }

  /** The http/protobuf URL spans are posted to: the base endpoint plus {@code /v1/traces}, as the OTLP spec does for OTEL_EXPORTER_OTLP_ENDPOINT. */
  static String httpTracesUrl(String endpoint) {
    String base = endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    return base.endsWith("/v1/traces") ? base : base + "/v1/traces";
  }

  /** {@code key=value,key2=value2} with URL-encoded values (OTEL_EXPORTER_OTLP_HEADERS' format). */
  static Map<String, String> headers(String value) {
    Map<String, String> headers = new LinkedHashMap<>();
    int n = 0;
    for (String pair : value.split(",")) {
      n++;
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String key = eq < 0 ? "" : pair.substring(0, eq).strip();
      if (eq < 0 || key.isEmpty() || !key.chars().allMatch(c -> c > 32 && c < 127 && c != ':')) {
        throw new IllegalArgumentException("herologic.otlp.headers: entry " + n + " is not key=value with a header name as its key");
      }
      try {
        headers.put(key, URLDecoder.decode(pair.substring(eq + 1).strip(), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("herologic.otlp.headers: the value of " + key + " is not URL-encoded text");
      }
    }
    return headers;
  }

  private static byte[] read(String file, String setting) {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(setting + ": cannot read " + file + ": " + e);
    }
  }
}
