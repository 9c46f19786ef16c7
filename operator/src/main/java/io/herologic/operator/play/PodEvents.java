package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Pod;
import io.herologic.operator.kube.PodStates;
import java.util.Objects;

/**
 * Which events of a flow Pod wake its Play. Each reconcile costs the operator CPU and a place in
 * the reconcile queue, and a Pod is updated several times on its way (bound to a node, its
 * conditions, its start) without any change the Play shows; only changes to what the reconciler
 * reads from a Pod wake it.
 *
 * <p>A Pod's creation does not wake its Play either: only the operator creates these Pods, and the
 * reconcile that created one asks to look again itself. The informer's cache holds every Pod
 * whatever these filters say; they only decide which events reach the reconciler.
 */
final class PodEvents {
  private PodEvents() {}

  /**
   * True when {@code now} differs from {@code before} in what a Play reads from its Pod: the
   * container's state as {@link PodStates} judges it, the Pod's deletion, its eviction, the launch
   * it records ({@link Launch}) and who owns it.
   */
  static boolean changesWhatThePlayReads(Pod now, Pod before) {
    return !PodStates.of(now, PlayNames.CONTAINER).equals(PodStates.of(before, PlayNames.CONTAINER))
        || !Objects.equals(now.getMetadata().getDeletionTimestamp(), before.getMetadata().getDeletionTimestamp())
        || !Objects.equals(statusReason(now), statusReason(before))
        || !Objects.equals(now.getMetadata().getAnnotations(), before.getMetadata().getAnnotations())
        || !Objects.equals(now.getMetadata().getOwnerReferences(), before.getMetadata().getOwnerReferences())
        || !Objects.equals(now.getMetadata().getUid(), before.getMetadata().getUid());
  }

  private static String statusReason(Pod pod) {
    return pod.getStatus() == null ? null : pod.getStatus().getReason();
  }
}
