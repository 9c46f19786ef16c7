package io.herologic.operator.flowsource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.model.FlowInput;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlowParserTest {

  @Test
  void readsNameAndTypedInputsWithDefaults() {
    ParsedFlow flow = FlowParser.parse("""
        from herologic import flow

        @flow(name="greeter", inputs={"name": {"type": "string", "default": "world", "description": "who"},
                                      "times": {"type": "integer"}})
        def greet(name, times):
            return name * times
        """);
    assertEquals("greeter", flow.name());
    assertEquals("greet", flow.functionName());
    assertEquals(3, flow.line());
    FlowInput name = flow.inputs().get(0);
    assertEquals("name", name.getName());
    assertEquals("string", name.getType());
    assertFalse(name.isRequired());
    assertEquals("world", name.getDefaultValue().asText());
    assertEquals("who", name.getDescription());
    FlowInput times = flow.inputs().get(1);
    assertEquals("integer", times.getType());
    assertTrue(times.isRequired());
  }

  @Test
  void ignoresFlowInCommentsAndStringsAndOtherDecorators() {
    ParsedFlow flow = FlowParser.parse("""
        # @flow(name="commented")
        DOC = '''
        @flow(name="in a string")
        '''
        text = "@flow(name='inline string')"

        @other.decorator(flow=True)
        @flow(
            # a comment inside the call
            retries=3,  # another keyword argument
            name=(
                "real"
            ),
            inputs={
                "prompt": str,
                "model": {"type": "string", "default": None},
            },
        )
        @functools.lru_cache()
        async def run(prompt, model=None):
            @flow.step("inner")
            def helper():
                pass
        """);
    assertEquals("real", flow.name());
    assertEquals("run", flow.functionName());
    assertEquals(List.of("prompt", "model"), flow.inputs().stream().map(FlowInput::getName).toList());
    assertEquals("string", flow.inputs().get(0).getType());
    assertTrue(flow.inputs().get(0).isRequired());
    assertFalse(flow.inputs().get(1).isRequired());
  }

  @Test
  void bareDecoratorTakesTheFunctionNameAndItsParameters() {
    ParsedFlow flow = FlowParser.parse("""
        import herologic

        @herologic.flow
        def hello(name: str = "you", *, count: int = 1, **extra):
            pass
        """);
    assertEquals("hello", flow.name());
    assertEquals(List.of("name", "count"), flow.inputs().stream().map(FlowInput::getName).toList());
    assertEquals("you", flow.inputs().get(0).getDefaultValue().asText());
    assertFalse(flow.inputs().get(1).isRequired());
  }

  @Test
  void inputsAsASetOfNamesAreRequiredUnlessTheFunctionHasADefault() {
    ParsedFlow flow = FlowParser.parse("""
        @flow(name="agent", inputs={"prompt", "model"})
        def agent(prompt, model="gpt"):
            pass
        """);
    assertTrue(flow.inputs().get(0).isRequired());
    assertFalse(flow.inputs().get(1).isRequired());
    assertEquals("gpt", flow.inputs().get(1).getDefaultValue().asText());
    assertNull(flow.inputs().get(0).getType());
  }

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
    assertEquals(-1500.0, flow.inputs().get(0).getDefaultValue().asDouble());
  }

  @Test
  void noFlowIsReportedAsSuch() {
    FlowParseException e = assertThrows(FlowParseException.class, () -> FlowParser.parse("def f():\n    pass\n"));
    assertTrue(e.noFlowDecorator());
    assertTrue(e.getMessage().contains("no function decorated with @flow"), e.getMessage());
  }

  @Test
  void errorsNameTheLine() {
    FlowParseException nonLiteral = assertThrows(FlowParseException.class, () -> FlowParser.parse("""
        from herologic import flow

        @flow(name=NAME)
        def f():
            pass
        """));
    assertEquals(3, nonLiteral.line());
    assertTrue(nonLiteral.getMessage().startsWith("line 3: name must be a literal"), nonLiteral.getMessage());

    FlowParseException badType = assertThrows(FlowParseException.class, () -> FlowParser.parse("""
        @flow(inputs={"x": {"type": "float64"}})
        def f(x):
            pass
        """));
    assertTrue(badType.getMessage().contains("unknown type 'float64'"), badType.getMessage());

    FlowParseException two = assertThrows(FlowParseException.class, () -> FlowParser.parse("""
        @flow
        def a():
            pass

        @flow
        def b():
            pass
        """));
    assertEquals(5, two.line());
    assertTrue(two.getMessage().contains("first is on line 1"), two.getMessage());

    FlowParseException unclosed = assertThrows(FlowParseException.class, () -> FlowParser.parse("x = '''never closed\n@flow\ndef f(): pass\n"));
    assertEquals(1, unclosed.line());

    FlowParseException notAFunction = assertThrows(FlowParseException.class, () -> FlowParser.parse("@flow\nclass F:\n    pass\n"));
    assertEquals(2, notAFunction.line());
  }
}
