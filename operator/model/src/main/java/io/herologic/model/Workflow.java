package io.herologic.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A named flow. {@code spec.currentVersion} pins the WorkflowVersion that new Plays run. */
@KindDescription(
    value = "A named flow. spec.currentVersion pins the WorkflowVersion that new Plays of this Workflow run.",
    spec = "Which version new Plays run, and settings shared by all of this Workflow's Plays.",
    status = "The resolved current version, its digest and readiness, and how many versions exist.")
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@ShortNames("hlwf")
@Categories(ApiGroup.CATEGORY)
@AdditionalPrinterColumn(name = "Current", jsonPath = ".spec.currentVersion", type = AdditionalPrinterColumn.Type.STRING)
// The Ready condition, like WorkflowVersion's column, so both print True/False the same way (status.ready would print true).
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.conditions[?(@.type==\"Ready\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Versions", jsonPath = ".status.versions", type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Workflow extends CustomResource<WorkflowSpec, WorkflowStatus> implements Namespaced {
  @Override
  protected WorkflowSpec initSpec() {
    return new WorkflowSpec();
  }

  @Override
  protected WorkflowStatus initStatus() {
    return new WorkflowStatus();
  }
}
