package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** How every reconciler here writes status. */
public final class StatusPatch {
  private StatusPatch() {}

  /**
   * A server-side-apply patch of the whole status, without a resourceVersion precondition: the
   * operator is the only writer of these statuses and always sends all of it, so a cached copy
   * that lags our own previous patch must not turn into a conflict and a retry.
   */
  public static <R extends HasMetadata> UpdateControl<R> of(R resource) {
    resource.getMetadata().setResourceVersion(null);
    return UpdateControl.patchStatus(resource);
  }
}
