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
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Keeps the finished Plays of each Workflow within its history limits ({@code spec.history}, like
 * a CronJob's): the oldest beyond them are deleted, their Pods and Secrets with them, so finished
 * Plays cannot pile up in etcd. Reads the Play cache's index by Workflow; deletes only.
 */
public final class PlayRetention {
  private final KubernetesClient client;
  private final IndexedResourceCache<Play> plays;
  private final Cache<Workflow> workflows;

  /**
   * Completion times come from the Pod and have whole seconds: Plays that ended in the same second
   * are told apart by when they were created, then by name. PlaySchedules keep their history in this order too.
   */
  public static final Comparator<Play> NEWEST_FIRST = Comparator.comparing((Play p) -> completedAt(p).orElseThrow())
      .thenComparing(p -> Instant.parse(p.getMetadata().getCreationTimestamp()))
      .thenComparing(p -> p.getMetadata().getName())
      .reversed();

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
    List<Play> done = plays.byIndex(PlayReconciler.BY_WORKFLOW, Indexes.key(namespace, workflow)).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && completedAt(p).isPresent())
        .sorted(NEWEST_FIRST)
        .toList();
    List<Play> succeeded = done.stream().filter(p -> p.getStatus().getPhase() == PlayPhase.Succeeded).toList();
    List<Play> failed = done.stream().filter(p -> p.getStatus().getPhase() != PlayPhase.Succeeded).toList();
    return delete(succeeded, limit(history == null ? null : history.getSucceeded(), PlayHistory.DEFAULT_SUCCEEDED))
        + delete(failed, limit(history == null ? null : history.getFailed(), PlayHistory.DEFAULT_FAILED));
  }

  private int delete(List<Play> newestFirst, int keep) {
    List<Play> beyond = newestFirst.size() > keep ? newestFirst.subList(keep, newestFirst.size()) : List.of();
    beyond.forEach(p -> client.resource(p).delete()); // a Play someone else deleted first is simply gone
    return beyond.size();
  }

  private static int limit(Integer set, int fallback) {
    return set == null ? fallback : set;
  }

  /** When a finished Play finished; empty while it runs. */
  public static Optional<Instant> completedAt(Play play) {
    if (play.getStatus() == null || play.getStatus().getPhase() == null || !play.getStatus().getPhase().isFinal()
        || play.getStatus().getCompletionTime() == null) {
      return Optional.empty();
    }
    return Optional.of(Instant.parse(play.getStatus().getCompletionTime()));
  }
}
