package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * The flow Pod informer's store: a Pod is kept without its inputs ({@link
 * PlayPodFactory#INPUTS_ANNOTATION}, up to 192 KiB of whatever the Play's author wrote), which
 * nothing in the operator reads back: the kubelet mounts them from the API server's copy. So the
 * cache of every flow Pod ever started costs what the operator uses of them, not what their
 * authors chose to send. The same rule as {@link FinishedPlayStore}: usable only while the
 * controller runs one informer ({@link PlayInformer#oneInformer}).
 */
final class FlowPodStore extends TransformingItemStore<Pod> {
  FlowPodStore() {
    super(FlowPodStore::trim);
  }

  /** {@code pod} itself, without its inputs. */
  static Pod trim(Pod pod) {
    var annotations = pod.getMetadata().getAnnotations();
    if (annotations != null) {
      annotations.remove(PlayPodFactory.INPUTS_ANNOTATION);
    }
    return pod;
  }
}
