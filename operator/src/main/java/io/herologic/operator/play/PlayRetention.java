package io.herologic.operator.play;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayHistory;
import io.herologic.model.PlayPhase;
import io.herologic.model.Workflow;
import io.herologic.operator.kube.Indexes;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Keeps the finished Plays of each Workflow within its history limits ({@code spec.history}, like
 * a CronJob's): the oldest beyond them are deleted, their Pods with them, so finished
 * Plays cannot pile up in etcd. Reads the Play cache's index by Workflow; deletes only.
 */
public final class PlayRetention {
  private final KubernetesClient client;
  private final IndexedResourceCache<Play> plays;
  private final Cache<Workflow> workflows;

  PlayRetention(KubernetesClient client, IndexedResourceCache<Play> plays, Cache<Workflow> workflows) {
    this.client = client;
    this.plays = plays;
    this.workflows = workflows;
  }

  /** Deletes the finished Plays of {@code finished}'s Workflow beyond its limits; returns how many. */
  int prune(Play finished) {
    String namespace = finished.getMetadata().getNamespace();
    String workflow = finished.getSpec().getWorkflow();
    PlayHistory history = workflows.get(new ResourceID(workflow, namespace)).map(w -> w.getSpec().getHistory()).orElse(null);
    List<Play> beyond = beyondLimits(plays.byIndex(PlayReconciler.BY_WORKFLOW, Indexes.key(namespace, workflow)),
        limit(history == null ? null : history.getSucceeded(), PlayHistory.DEFAULT_SUCCEEDED),
        limit(history == null ? null : history.getFailed(), PlayHistory.DEFAULT_FAILED));
    beyond.forEach(p -> client.resource(p).delete()); // a Play someone else deleted first is simply gone
    return beyond.size();
  }

  /**
   * Of {@code plays}, the finished ones (not being deleted) beyond the newest {@code keepSucceeded}
   * succeeded and {@code keepFailed} failed or cancelled ones: what a history limit deletes.
   *
   * <p>This runs on every finished Play's reconcile, over all its Workflow's finished Plays: a
   * group within its limit is only counted, and only a group beyond it is sorted, with each
   * Play's times parsed once (parsing at every comparison was most of a burst's reconcile CPU).
   */
  public static List<Play> beyondLimits(Collection<Play> plays, int keepSucceeded, int keepFailed) {
    Map<Boolean, List<Play>> bySucceeded = plays.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && isFinished(p))
        .collect(Collectors.partitioningBy(p -> p.getStatus().getPhase() == PlayPhase.Succeeded));
    return Stream.concat(oldestBeyond(bySucceeded.get(true), keepSucceeded), oldestBeyond(bySucceeded.get(false), keepFailed)).toList();
  }

  /**
   * Completion times come from the Pod and have whole seconds: Plays that ended in the same second
   * are told apart by when they were created, then by name.
   */
  private record Finished(Play play, Instant completed, Instant created, String name) {
    static final Comparator<Finished> NEWEST_FIRST = Comparator.comparing(Finished::completed)
        .thenComparing(Finished::created).thenComparing(Finished::name).reversed();

    static Finished of(Play play) {
      return new Finished(play, Instant.parse(play.getStatus().getCompletionTime()),
          Instant.parse(play.getMetadata().getCreationTimestamp()), play.getMetadata().getName());
    }
  }

  private static Stream<Play> oldestBeyond(List<Play> finished, int keep) {
    if (finished.size() <= keep) {
      return Stream.empty();
    }
    return finished.stream().map(Finished::of).sorted(Finished.NEWEST_FIRST).skip(keep).map(Finished::play);
  }

  private static int limit(Integer set, int fallback) {
    return set == null ? fallback : set;
  }

  /** Whether {@code play} is finished and says when. */
  private static boolean isFinished(Play play) {
    return play.getStatus() != null && play.getStatus().getPhase() != null && play.getStatus().getPhase().isFinal()
        && play.getStatus().getCompletionTime() != null;
  }
}
