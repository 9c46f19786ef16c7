package io.herologic.operator.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.operator.config.OperatorConfig;
import java.lang.reflect.Proxy;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TraceLinksTest {
  /** An OperatorConfig whose only setting read here is the trace URL template. */
  private static OperatorConfig withTemplate(String template) {
    return (OperatorConfig) Proxy.newProxyInstance(OperatorConfig.class.getClassLoader(), new Class<?>[] {OperatorConfig.class},
        (proxy, method, args) -> {
          if (method.getName().equals("traceUrlTemplate")) {
            return Optional.ofNullable(template);
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void aTemplateWithTheTraceIdIsServed() {
    assertEquals(Optional.of("https://jaeger.example/trace/{traceId}"), TraceLinks.template(withTemplate(" https://jaeger.example/trace/{traceId} ")));
    assertEquals(Optional.empty(), TraceLinks.template(withTemplate(null)));
    assertEquals(Optional.empty(), TraceLinks.template(withTemplate("")));
  }

  @Test
  void anythingElseIsRefusedNamingTheSetting() {
    for (String bad : new String[] {"https://jaeger.example/trace/", "javascript:alert(1)//{traceId}", "jaeger/trace/{traceId}"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> TraceLinks.template(withTemplate(bad)));
      assertTrue(e.getMessage().startsWith("herologic.trace-url-template"), e.getMessage());
    }
  }
}
