package io.herologic.operator.flowsource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the shared fixtures (ContractFixturesTest) cannot say: lexer details and the exception's own fields. */
class FlowParserTest {

  @Test
  void rawStringsAndEscapesDoNotConfuseTheLexer() {
    ParsedFlow flow = FlowParser.parse("""
        PATTERN = r"\\n?\\"@flow"
        QUOTES = \"\"\"He said \\"\"\" hi\"\"\"
        @flow(name="esc\\u00e9\\tx", inputs={"a": {"type": "number", "default": -1.5e3}})
        def f(a):
            pass
        """);
    assertEquals("esc\u00e9\tx", flow.name());
    assertEquals(3, flow.line());
    assertEquals(-1500.0, flow.inputs().get(0).getDefaultValue().asDouble());
  }

  @Test
  void noFlowIsReportedAsSuch() {
    FlowParseException e = assertThrows(FlowParseException.class, () -> FlowParser.parse("def f():\n    pass\n"));
    assertTrue(e.noFlowDecorator());
    FlowParseException invalid = assertThrows(FlowParseException.class, () -> FlowParser.parse("@flow(name=3)\ndef f(): pass\n"));
    assertEquals(false, invalid.noFlowDecorator());
    assertEquals(1, invalid.line());
  }

  @Test
  void anUnclosedStringNamesTheLineItStartsOn() {
    FlowParseException unclosed = assertThrows(FlowParseException.class, () -> FlowParser.parse("x = 1\ny = '''never closed\n@flow\ndef f(): pass\n"));
    assertEquals(2, unclosed.line());
  }

  @Test
  void numbersAreReadAsPythonReadsThem() {
    ParsedFlow flow = FlowParser.parse("""
        @flow(inputs={"a": {"default": 0x1F}, "b": {"default": 0o17}, "c": {"default": 0b101}, "d": {"default": 1_000},
                      "e": {"default": 123456789012345678901234567890}, "f": {"default": 1e3}})
        def f(a, b, c, d, e, f):
            pass
        """);
    assertEquals(List.of("31", "15", "5", "1000", "123456789012345678901234567890", "1000.0"),
        flow.inputs().stream().map(i -> i.getDefaultValue().toString()).toList());
  }
}
