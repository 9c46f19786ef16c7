package io.herologic.operator.bench;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When the benchmark saw what, on its own monotonic clock ({@link System#nanoTime()}): the local
 * time a create call returned, and the local time an informer (a watch of the API server)
 * delivered an object's first appearance or its first update into a phase. Second-granular API
 * timestamps (metadata.creationTimestamp) are not used for anything.
 */
final class Timeline implements AutoCloseable {
  static final String PLAY_LABEL = "herologic.io/play";
  /** The label the Job controller puts on a Job's Pods (Kubernetes 1.27+). */
  static final String JOB_LABEL = "batch.kubernetes.io/job-name";

  /** nanoTime when the create call for a Play or a floor Pod returned. */
  final Map<String, Long> created = new ConcurrentHashMap<>();
  /** create-call round trip, ns. */
  final Map<String, Long> createRtt = new ConcurrentHashMap<>();
  final Map<String, Long> podSeen = new ConcurrentHashMap<>();
  final Map<String, Long> podRunning = new ConcurrentHashMap<>();
  final Map<String, Long> podFinal = new ConcurrentHashMap<>();
  final Map<String, String> podPhase = new ConcurrentHashMap<>();
  /** Pod name by Play name (the operator labels its Pods with the Play): the first one seen. */
  final Map<String, String> podOfPlay = new ConcurrentHashMap<>();
  /** Every Pod ever seen for each Play, to count duplicates. */
  final Map<String, Set<String>> podsOfPlay = new ConcurrentHashMap<>();
  final Map<String, Long> playRunning = new ConcurrentHashMap<>();
  final Map<String, Long> playFinal = new ConcurrentHashMap<>();
  final Map<String, PlayPhase> playPhase = new ConcurrentHashMap<>();
  /** Pod name by Job name (the Job controller labels its Pods with the Job): the first one seen. */
  final Map<String, String> podOfJob = new ConcurrentHashMap<>();
  /** When the Job was seen Complete (or Failed), and which. */
  final Map<String, Long> jobFinal = new ConcurrentHashMap<>();
  final Map<String, String> jobPhase = new ConcurrentHashMap<>();
  /** Final Plays whose status carries TraceIncomplete=True (the operator could not read the Pod's log to its end). */
  final Set<String> traceIncomplete = ConcurrentHashMap.newKeySet();

  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Play> plays;
  private final SharedIndexInformer<Job> jobs;

  Timeline(KubernetesClient client, String namespace) {
    pods = client.pods().inNamespace(namespace).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        long now = System.nanoTime();
        podSeen.putIfAbsent(pod.getMetadata().getName(), now);
        String play = pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(PLAY_LABEL);
        String job = pod.getMetadata().getLabels() == null ? null : pod.getMetadata().getLabels().get(JOB_LABEL);
        if (job != null) {
          podOfJob.putIfAbsent(job, pod.getMetadata().getName());
        }
        if (play != null) {
          podOfPlay.putIfAbsent(play, pod.getMetadata().getName());
          podsOfPlay.computeIfAbsent(play, p -> ConcurrentHashMap.newKeySet()).add(pod.getMetadata().getName());
        }
        phase(pod, now);
      }

      @Override
      public void onUpdate(Pod old, Pod pod) {
        phase(pod, System.nanoTime());
      }

      @Override
      public void onDelete(Pod pod, boolean unknown) {}
    }, 0);
    plays = client.resources(Play.class).inNamespace(namespace).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Play play) {
        phase(play, System.nanoTime());
      }

      @Override
      public void onUpdate(Play old, Play play) {
        phase(play, System.nanoTime());
      }

      @Override
      public void onDelete(Play play, boolean unknown) {}
    }, 0);
    jobs = client.batch().v1().jobs().inNamespace(namespace).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Job job) {
        phase(job, System.nanoTime());
      }

      @Override
      public void onUpdate(Job old, Job job) {
        phase(job, System.nanoTime());
      }

      @Override
      public void onDelete(Job job, boolean unknown) {}
    }, 0);
  }

  private void phase(Job job, long now) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return;
    }
    job.getStatus().getConditions().stream()
        .filter(c -> ("Complete".equals(c.getType()) || "Failed".equals(c.getType())) && "True".equals(c.getStatus()))
        .findFirst()
        .ifPresent(c -> {
          if (jobFinal.putIfAbsent(job.getMetadata().getName(), now) == null) {
            jobPhase.put(job.getMetadata().getName(), "Complete".equals(c.getType()) ? "Succeeded" : "Failed");
          }
        });
  }

  private void phase(Pod pod, long now) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    String name = pod.getMetadata().getName();
    if ("Running".equals(phase) || "Succeeded".equals(phase) || "Failed".equals(phase)) {
      podRunning.putIfAbsent(name, now);
    }
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      if (podFinal.putIfAbsent(name, now) == null) {
        podPhase.put(name, phase);
      }
    }
  }

  private void phase(Play play, long now) {
    PlayPhase phase = play.getStatus() == null ? null : play.getStatus().getPhase();
    String name = play.getMetadata().getName();
    if (phase == PlayPhase.Running || (phase != null && phase.isFinal())) {
      playRunning.putIfAbsent(name, now);
    }
    if (phase != null && phase.isFinal()) {
      if (playFinal.putIfAbsent(name, now) == null) {
        playPhase.put(name, phase);
      }
      if (play.getStatus().getConditions() != null && play.getStatus().getConditions().stream()
          .anyMatch(c -> "TraceIncomplete".equals(c.getType()) && "True".equals(c.getStatus()))) {
        traceIncomplete.add(name);
      }
    }
  }

  /** Pods the informer currently holds (not yet deleted). */
  int podCount() {
    return pods.getStore().list().size();
  }

  int playCount() {
    return plays.getStore().list().size();
  }

  int jobCount() {
    return jobs.getStore().list().size();
  }

  @Override
  public void close() {
    pods.close();
    plays.close();
    jobs.close();
  }
}
