package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A flow Pod's updates wake its Play only when they change what the Play reads from the Pod. */
class PodEventsTest {
  private static final Pod CREATED = new PodBuilder().withNewMetadata().withName("p-1").withUid("u1")
      .withAnnotations(Map.of("herologic.io/workflow-version", "hello-v1")).endMetadata()
      .withNewSpec().addNewContainer().withName(PlayNames.CONTAINER).endContainer().endSpec()
      .withNewStatus().withPhase("Pending").endStatus().build();

  @Test
  void bindingAndConditionsWakeNobody() {
    Pod bound = new PodBuilder(CREATED).editSpec().withNodeName("node-a").endSpec()
        .editStatus().addNewCondition().withType("PodScheduled").withStatus("True").endCondition().endStatus().build();
    assertFalse(PodEvents.changesWhatThePlayReads(bound, CREATED));
    Pod relabelled = new PodBuilder(bound).editMetadata().addToLabels("team", "x").withResourceVersion("9").endMetadata().build();
    assertFalse(PodEvents.changesWhatThePlayReads(relabelled, bound), "labels and versions are not read");
  }

  @Test
  void theContainersStateWakes() {
    Pod running = new PodBuilder(CREATED).editStatus().withPhase("Running").withStartTime("2026-12-01T08:00:00Z")
        .addNewContainerStatus().withName(PlayNames.CONTAINER).withNewState().withNewRunning().withStartedAt("2026-12-01T08:00:01Z")
        .endRunning().endState().endContainerStatus().endStatus().build();
    assertTrue(PodEvents.changesWhatThePlayReads(running, CREATED));
    Pod stuck = new PodBuilder(CREATED).editStatus().addNewContainerStatus().withName(PlayNames.CONTAINER).withNewState()
        .withNewWaiting().withReason("ImagePullBackOff").endWaiting().endState().endContainerStatus().endStatus().build();
    assertTrue(PodEvents.changesWhatThePlayReads(stuck, CREATED), "a waiting reason the Play reports");
    Pod succeeded = new PodBuilder(running).editStatus().withPhase("Succeeded").endStatus().build();
    assertTrue(PodEvents.changesWhatThePlayReads(succeeded, running));
  }

  @Test
  void deletionEvictionLaunchRecordAndOwnerWake() {
    assertTrue(PodEvents.changesWhatThePlayReads(
        new PodBuilder(CREATED).editMetadata().withDeletionTimestamp("2026-12-01T08:00:00Z").endMetadata().build(), CREATED));
    assertTrue(PodEvents.changesWhatThePlayReads(new PodBuilder(CREATED).editStatus().withReason("Evicted").endStatus().build(), CREATED));
    assertTrue(PodEvents.changesWhatThePlayReads(
        new PodBuilder(CREATED).editMetadata().addToAnnotations("herologic.io/trace-id", "f".repeat(32)).endMetadata().build(), CREATED));
    assertTrue(PodEvents.changesWhatThePlayReads(new PodBuilder(CREATED).editMetadata().addNewOwnerReference().withKind("Play")
        .withName("p").withUid("play-uid").withController(true).endOwnerReference().endMetadata().build(), CREATED));
    assertTrue(PodEvents.changesWhatThePlayReads(new PodBuilder(CREATED).editMetadata().withUid("u2").endMetadata().build(), CREATED),
        "another Pod under the same name");
  }
}
