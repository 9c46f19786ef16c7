package io.herologic.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One immutable Python source holding a {@code @flow(name=..., inputs={...})} function. */
@KindDescription(
    value = "One immutable Python source holding a function decorated with @flow(name=..., inputs={...}). A new source is a new WorkflowVersion.",
    spec = "The source, inline or from a ConfigMap key. It cannot change after creation.",
    status = "What the operator read from the source: flow name, declared inputs, digest, and whether it is Ready to run.")
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@ShortNames("hlwfv")
@Categories(ApiGroup.CATEGORY)
@AdditionalPrinterColumn(name = "Workflow", jsonPath = ".spec.workflow", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Flow", jsonPath = ".status.flowName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Digest", jsonPath = ".status.digest", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class WorkflowVersion extends CustomResource<WorkflowVersionSpec, WorkflowVersionStatus> implements Namespaced {
  @Override
  protected WorkflowVersionSpec initSpec() {
    return new WorkflowVersionSpec();
  }

  @Override
  protected WorkflowVersionStatus initStatus() {
    return new WorkflowVersionStatus();
  }
}
