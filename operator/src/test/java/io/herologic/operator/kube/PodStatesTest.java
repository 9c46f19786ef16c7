package io.herologic.operator.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.herologic.operator.kube.PodStates.Phase;
import org.junit.jupiter.api.Test;

class PodStatesTest {
  private static PodBuilder pod(String phase) {
    return new PodBuilder().withNewMetadata().withName("p").endMetadata()
        .withNewSpec().withActiveDeadlineSeconds(30L).endSpec()
        .withNewStatus().withPhase(phase).endStatus();
  }

  private static Pod waiting(String reason) {
    return pod("Pending").editStatus().addNewContainerStatus().withName("flow")
        .withNewState().withNewWaiting().withReason(reason).withMessage("m").endWaiting().endState()
        .endContainerStatus().endStatus().build();
  }

  private static Pod terminated(String phase, int exit, String reason) {
    return pod(phase).editStatus().addNewContainerStatus().withName("flow")
        .withNewState().withNewTerminated().withExitCode(exit).withReason(reason)
        .withStartedAt("2026-11-30T00:00:00Z").withFinishedAt("2026-11-30T00:00:05Z").endTerminated().endState()
        .endContainerStatus().endStatus().build();
  }

  @Test
  void normalStartUpIsStartingAndAReasonThatNeedsAPersonIsStuck() {
    assertEquals(Phase.STARTING, PodStates.of(pod("Pending").build(), "flow").phase());
    assertEquals(Phase.STARTING, PodStates.of(waiting("ContainerCreating"), "flow").phase());
    var stuck = PodStates.of(waiting("ImagePullBackOff"), "flow");
    assertEquals(Phase.STUCK, stuck.phase());
    assertEquals("Pod p waiting: ImagePullBackOff: m", stuck.message());
    assertTrue(!stuck.phase().started());
  }

  @Test
  void endsAreToldApart() {
    var ok = PodStates.of(terminated("Succeeded", 0, "Completed"), "flow");
    assertEquals(Phase.SUCCEEDED, ok.phase());
    assertEquals("2026-11-30T00:00:05Z", ok.finishedAt());
    var killed = PodStates.of(terminated("Failed", 137, "Error"), "flow");
    assertEquals(Phase.FAILED, killed.phase());
    assertTrue(killed.killedBySignal());
    assertEquals("the flow process was killed by signal 9 (Error)", killed.message());
    assertEquals("the flow process exited with code 1 (Error)", PodStates.of(terminated("Failed", 1, "Error"), "flow").message());
    Pod deadline = pod("Failed").editStatus().withReason("DeadlineExceeded").endStatus().build();
    var late = PodStates.of(deadline, "flow");
    assertEquals(Phase.DEADLINE_EXCEEDED, late.phase());
    assertEquals("the Play ran longer than its deadline of 30s", late.message());
    assertTrue(late.phase().ended());
  }

  @Test
  void aTerminatedContainerEndsThePlayEvenBeforeThePodPhaseSaysSo() {
    assertEquals(Phase.FAILED, PodStates.of(terminated("Running", 2, "Error"), "flow").phase());
    Pod running = pod("Running").editStatus().addNewContainerStatus().withName("flow")
        .withNewState().withNewRunning().withStartedAt("2026-11-30T00:00:01Z").endRunning().endState()
        .endContainerStatus().endStatus().build();
    var state = PodStates.of(running, "flow");
    assertEquals(Phase.RUNNING, state.phase());
    assertEquals("2026-11-30T00:00:01Z", state.startedAt());
  }
}
