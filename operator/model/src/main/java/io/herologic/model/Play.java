package io.herologic.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One run of a Workflow with its inputs. The status holds the span tree of what the flow did. */
@KindDescription(
    value = "One run of a Workflow with its inputs. The operator runs it as one Pod and records the span tree of what the flow did.",
    spec = "What to run and with which inputs and limits. Fixed after creation except cancel and ttlSecondsAfterFinished.",
    status = "Where the run is (phase), the version it ran, the span tree, output or error, token counts and timings.")
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@ShortNames("hlplay")
@Categories(ApiGroup.CATEGORY)
@AdditionalPrinterColumn(name = "Workflow", jsonPath = ".spec.workflow", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Version", jsonPath = ".status.workflowVersion", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Attempt", jsonPath = ".status.attempt", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Duration", jsonPath = ".status.duration", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Tokens", jsonPath = ".status.tokens.total", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Message", jsonPath = ".status.message", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
public class Play extends CustomResource<PlaySpec, PlayStatus> implements Namespaced {
  @Override
  protected PlaySpec initSpec() {
    return new PlaySpec();
  }

  @Override
  protected PlayStatus initStatus() {
    return new PlayStatus();
  }
}
