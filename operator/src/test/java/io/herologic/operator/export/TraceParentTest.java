package io.herologic.operator.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TraceParentTest {
  @Test
  void parsesAW3cTraceparent() {
    TraceParent tp = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", tp.traceId());
    assertEquals("00f067aa0ba902b7", tp.parentSpanId());
  }

  @Test
  void namesWhatIsWrong() {
    assertMessage("has 3 dash-separated parts", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7");
    assertMessage("version 01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assertMessage("trace id \"4BF92F3577B34DA6A3CE929D0E0E4736\", not 32 lowercase hex digits",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
    assertMessage("all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
    assertMessage("parent span id \"00f067aa0ba902\", not 16", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902-01");
    assertMessage("all-zero parent span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
    assertMessage("flags \"x1\"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-x1");
    assertMessage("is empty", " ");
  }

  private static void assertMessage(String expected, String value) {
    var e = assertThrows(IllegalArgumentException.class, () -> TraceParent.parse(value));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
