package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a flow Pod's status means for its Play: the one place that reads Pod phases, container
 * states and reasons. Pure: no API calls, so every rule here is unit-tested.
 */
public final class PodStates {
  /** Start-up every Pod goes through; not worth a status write or a person's attention. */
  private static final List<String> NORMAL_WAITING = List.of("ContainerCreating", "PodInitializing");

  private PodStates() {}

  public enum Phase {
    /** Scheduled or starting normally. */
    STARTING,
    /** Not running and waiting for something a person must fix (ImagePullBackOff, CreateContainerConfigError...). */
    STUCK,
    RUNNING,
    SUCCEEDED,
    FAILED,
    /** Stopped by its activeDeadlineSeconds. */
    DEADLINE_EXCEEDED;

    public boolean started() {
      return this != STARTING && this != STUCK;
    }

    public boolean ended() {
      return this == SUCCEEDED || this == FAILED || this == DEADLINE_EXCEEDED;
    }
  }

  /**
   * @param message for STUCK the waiting reason, for FAILED why the process ended (exit code or
   *     signal, and the container's reason), for DEADLINE_EXCEEDED the deadline
   */
  public record PodState(Phase phase, String message, Integer exitCode, String startedAt, String finishedAt) {
    public boolean killedBySignal() {
      return exitCode != null && exitCode > 128;
    }
  }

  /** The state of {@code pod}, judged by its container named {@code containerName} (else its first). */
  public static PodState of(Pod pod, String containerName) {
    String podPhase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    Optional<ContainerStatus> container = container(pod, containerName);
    Optional<ContainerStateTerminated> terminated = container.map(ContainerStatus::getState)
        .map(s -> s.getTerminated());
    String startedAt = startedAt(pod, container);
    String finishedAt = terminated.map(ContainerStateTerminated::getFinishedAt).orElse(null);
    Integer exit = terminated.map(ContainerStateTerminated::getExitCode).orElse(null);
    if ("Failed".equals(podPhase) && "DeadlineExceeded".equals(pod.getStatus().getReason())) {
      long seconds = pod.getSpec() == null || pod.getSpec().getActiveDeadlineSeconds() == null ? 0 : pod.getSpec().getActiveDeadlineSeconds();
      return new PodState(Phase.DEADLINE_EXCEEDED, "the Play ran longer than its deadline of " + seconds + "s", exit, startedAt, finishedAt);
    }
    if ("Succeeded".equals(podPhase)) {
      return new PodState(Phase.SUCCEEDED, null, exit, startedAt, finishedAt);
    }
    if ("Failed".equals(podPhase) || terminated.isPresent()) {
      return new PodState(Phase.FAILED, failure(pod, terminated), exit, startedAt, finishedAt);
    }
    boolean running = "Running".equals(podPhase)
        || container.map(ContainerStatus::getState).map(s -> s.getRunning() != null).orElse(false);
    if (running) {
      return new PodState(Phase.RUNNING, null, null, startedAt, null);
    }
    return waiting(pod, container)
        .filter(reason -> !NORMAL_WAITING.contains(reason.split(":", 2)[0]))
        .map(reason -> new PodState(Phase.STUCK, "Pod " + pod.getMetadata().getName() + " waiting: " + reason, null, null, null))
        .orElse(new PodState(Phase.STARTING, null, null, null, null));
  }

  private static String failure(Pod pod, Optional<ContainerStateTerminated> terminated) {
    String why = terminated.map(t -> t.getReason() + (t.getMessage() != null ? ": " + t.getMessage() : ""))
        .orElseGet(() -> pod.getStatus().getReason() != null
            ? pod.getStatus().getReason() + (pod.getStatus().getMessage() != null ? ": " + pod.getStatus().getMessage() : "")
            : "unknown reason");
    Integer exit = terminated.map(ContainerStateTerminated::getExitCode).orElse(null);
    if (exit == null) {
      return "the flow Pod failed: " + why;
    }
    return exit > 128 ? "the flow process was killed by signal " + (exit - 128) + " (" + why + ")"
        : "the flow process exited with code " + exit + " (" + why + ")";
  }

  private static Optional<String> waiting(Pod pod, Optional<ContainerStatus> container) {
    return container.map(ContainerStatus::getState).map(s -> s.getWaiting()).filter(w -> w.getReason() != null)
        .map(w -> w.getReason() + (w.getMessage() != null ? ": " + w.getMessage() : ""));
  }

  private static String startedAt(Pod pod, Optional<ContainerStatus> container) {
    return container.map(ContainerStatus::getState)
        .map(s -> s.getRunning() != null ? s.getRunning().getStartedAt() : s.getTerminated() != null ? s.getTerminated().getStartedAt() : null)
        .filter(Objects::nonNull)
        .orElse(pod.getStatus() == null ? null : pod.getStatus().getStartTime());
  }

  private static Optional<ContainerStatus> container(Pod pod, String name) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(s -> name.equals(s.getName())).findFirst()
        .or(() -> pod.getStatus().getContainerStatuses().stream().findFirst());
  }
}
