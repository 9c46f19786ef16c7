package io.herologic.operator.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpExportersTest {
  @Test
  void httpEndpointGetsTheTracesPathOnce() {
    assertEquals("http://jaeger:4318/v1/traces", OtlpExporters.httpTracesUrl("http://jaeger:4318"));
    assertEquals("http://jaeger:4318/v1/traces", OtlpExporters.httpTracesUrl("http://jaeger:4318/"));
    assertEquals("https://otlp.example/tempo/v1/traces", OtlpExporters.httpTracesUrl("https://otlp.example/tempo/v1/traces"));
  }

  @Test
  void headersAreParsedLikeOtelExporterOtlpHeaders() {
    assertEquals(Map.of("Authorization", "Basic a2V5OnZhbHVl", "X-Scope-OrgID", "team a"),
        OtlpExporters.headers("Authorization=Basic%20a2V5OnZhbHVl, X-Scope-OrgID=team%20a"));
  }

  @Test
  void aBadHeaderEntryIsNamedWithoutItsValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> OtlpExporters.headers("a=1,secret-token-without-key"));
    assertTrue(e.getMessage().contains("herologic.otlp.headers: entry 2"), e.getMessage());
    assertFalse(e.getMessage().contains("secret-token"), e.getMessage());
  }

  @Test
  void aBadEndpointIsNamed() {
    var e = assertThrows(IllegalArgumentException.class, () -> OtlpExporters.endpoint("jaeger:4318"));
    assertTrue(e.getMessage().contains("herologic.otlp.endpoint"), e.getMessage());
  }
}
