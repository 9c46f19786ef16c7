package io.herologic.operator.play;

import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import java.time.Duration;

/** What {@link PlayResolver} decided for a Pending Play. */
public sealed interface Resolution {
  /** Everything the Play needs exists and allows it to run. */
  record Resolved(Workflow workflow, WorkflowVersion version) implements Resolution {}

  /**
   * Something the Play needs is missing or not ready yet; the Play starts once it is. Informers wake
   * it for Workflows and versions; {@code recheckAfter} covers what no informer watches.
   */
  record Waiting(String reason, String message, Duration recheckAfter) implements Resolution {}

  /** The Play can never run as written: it fails at once and no Pod is created. */
  record Rejected(String reason, String message) implements Resolution {}
}
