package io.herologic.operator.play;

import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import java.time.Duration;
import java.util.Optional;

/** What {@link PlayResolver} decided for a Pending Play. */
public sealed interface Resolution {
  /** Everything the Play needs exists and allows it to run. */
  record Resolved(Workflow workflow, WorkflowVersion version) implements Resolution {}

  /**
   * Something the Play needs is missing or not ready yet; the Play starts once it is. Informers wake
   * it for Workflows and versions; {@code recheckAfter} covers what no informer watches.
   */
  record Waiting(String reason, String message, Duration recheckAfter) implements Resolution {}

  /**
   * The Play can never run as written: it fails at once and no Pod is created. {@code version} is the
   * version it resolved to, when it got that far, so the failed Play still shows what it pinned.
   */
  record Rejected(String reason, String message, Optional<WorkflowVersion> version) implements Resolution {
    Rejected(String reason, String message) {
      this(reason, message, Optional.empty());
    }
  }
}
