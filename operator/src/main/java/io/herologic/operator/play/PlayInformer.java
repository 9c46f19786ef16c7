package io.herologic.operator.play;

import io.herologic.model.Play;
import io.herologic.operator.config.ShardConfig;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * How the "play" controller watches Plays: which ones (this shard's), under which field manager,
 * in pages, and with finished Plays trimmed in its cache ({@link FinishedPlayStore}).
 */
final class PlayInformer {
  private static final Logger LOG = Logger.getLogger(PlayInformer.class);
  /**
   * Plays per page when the informer lists (at start and after a watch gap): a page of 2,000-span
   * Plays is about 9 MB of JSON and 25 MB of objects, trimmed as they are stored, before the next
   * page is read. 5,000 finished Plays (500 of 2,000 spans), make bench-memory with the chart's
   * JVM settings: 15 a page peaked at 335-345 MiB RSS, the list took 11-15 s; 25 a page 422-430 MiB
   * and 11-12 s; 10 a page 314-321 MiB but 12-16 s (2 shared cores, load 3-12). With 50 a page
   * (G1, -Xmx384m) it had reached 578 MiB. Smaller pages also keep each request well inside the
   * client's 10 s timeout on a loaded API server (a timed-out page restarts the whole list).
   */
  static final long LIST_PAGE = 15;

  private PlayInformer() {}

  static void configure(ControllerConfigurationOverrider<Play> controller, ShardConfig shard) {
    controller.withInformerListLimit(LIST_PAGE);
    shard.playSelector().ifPresent(controller::withLabelSelector);
    shard.name().ifPresent(name -> controller.withFieldManager(fieldManager(name)));
    Set<String> namespaces = controller.build().getInformerConfig().getNamespaces();
    if (oneInformer(namespaces)) {
      controller.withItemStore(new FinishedPlayStore());
      LOG.infof("finished Plays are cached without their spans (watching %s)", namespaces.iterator().next());
    } else {
      // JOSDK hands one store to the informer of every namespace, and a shared store breaks
      // them (each informer's re-list would drop the other namespaces' Plays), so a list of
      // namespaces keeps whole Plays: run one shard per namespace to keep memory flat.
      LOG.warnf("watching %d namespaces one by one: finished Plays stay whole in memory; run one shard per namespace"
          + " (or watch all namespaces) to keep the operator's memory flat as Plays accumulate", namespaces.size());
    }
  }

  /**
   * Whether the controller's informers (and its event sources' that follow its namespaces) are one
   * each: one namespace, or all of them. Only then may they use a store of their own (JOSDK hands
   * one store instance to the informer of every namespace).
   */
  static boolean oneInformer(Set<String> namespaces) {
    return namespaces.size() == 1;
  }

  /** The field manager of a shard's status writes. */
  static String fieldManager(String shard) {
    return "play-" + shard;
  }
}
