package io.herologic.operator.flowsource;

import io.herologic.model.FlowInput;
import java.util.List;

/** What the operator learns from a flow's source without running it. */
public record ParsedFlow(String name, String functionName, int line, List<FlowInput> inputs) {}
