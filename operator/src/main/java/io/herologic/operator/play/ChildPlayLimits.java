package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.herologic.model.Play;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.kube.Indexes;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import java.util.List;
import java.util.Optional;

/**
 * Limits on Plays started by other Plays (a flow's {@code play_run_async} gives the child an owner
 * reference to its parent): how deep they may nest and how many one Play may start, so a flow that
 * starts itself cannot fill a cluster.
 */
final class ChildPlayLimits {
  static final String BY_PARENT = "byParentPlay";
  static final String BY_UID = "byUid";

  private final int maxDepth;
  private final int perPlay;

  ChildPlayLimits(OperatorConfig config) {
    this.maxDepth = config.childPlayMaxDepth();
    this.perPlay = config.childPlaysPerPlay();
  }

  /** Index key: the parent Play's uid, for Plays that have one. */
  static List<String> parentKeys(Play play) {
    return parent(play).map(o -> List.of(Indexes.key(play.getMetadata().getNamespace(), o.getUid()))).orElse(List.of());
  }

  static List<String> uidKeys(Play play) {
    return List.of(Indexes.key(play.getMetadata().getNamespace(), play.getMetadata().getUid()));
  }

  static Optional<OwnerReference> parent(Play play) {
    var owners = play.getMetadata().getOwnerReferences();
    return owners == null ? Optional.empty()
        : owners.stream().filter(o -> "Play".equals(o.getKind()) && o.getUid() != null).findFirst();
  }

  /** Why this Play may not run, if it may not. */
  Optional<String> problem(Play play, IndexedResourceCache<Play> plays) {
    Optional<OwnerReference> parentRef = parent(play);
    if (parentRef.isEmpty()) {
      return Optional.empty();
    }
    String namespace = play.getMetadata().getNamespace();
    int depth = 0;
    Play current = play;
    // Walk up by owner references; a chain longer than the limit (or a cycle) stops the walk.
    for (Optional<OwnerReference> ref = parentRef; ref.isPresent() && depth <= maxDepth; ref = parent(current)) {
      String uid = ref.get().getUid();
      Optional<Play> up = plays.byIndex(BY_UID, Indexes.key(namespace, uid)).stream().findFirst();
      depth++;
      if (up.isEmpty()) {
        break;
      }
      current = up.get();
    }
    if (depth > maxDepth) {
      return Optional.of("child Plays may nest at most " + maxDepth + " deep (operator setting childPlayMaxDepth); this one is deeper");
    }
    List<Play> siblings = plays.byIndex(BY_PARENT, Indexes.key(namespace, parentRef.get().getUid()));
    long older = siblings.stream().filter(p -> isOlder(p, play)).count();
    if (older >= perPlay) {
      return Optional.of("Play " + parentRef.get().getName() + " already started " + older
          + " child Plays, the most one Play may start (operator setting childPlaysPerPlay)");
    }
    return Optional.empty();
  }

  /** Creation order, names breaking ties, so exactly the first {@code perPlay} children run. */
  private static boolean isOlder(Play other, Play play) {
    int byTime = other.getMetadata().getCreationTimestamp().compareTo(play.getMetadata().getCreationTimestamp());
    return byTime < 0 || (byTime == 0 && other.getMetadata().getName().compareTo(play.getMetadata().getName()) < 0);
  }
}
