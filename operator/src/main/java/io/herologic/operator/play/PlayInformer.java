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
   * Plays is about 15 MB of JSON and 40 MB of objects, trimmed as they are stored, before the next
   * page is read. With 50 a page, 5,000 finished Plays (500 of 2,000 spans) took the operator to
   * 578 MiB RSS at start-up for 113 MiB of live heap (make bench-memory, -Xmx384m).
   */
  static final long LIST_PAGE = 25;

  private PlayInformer() {}

  static void configure(ControllerConfigurationOverrider<Play> controller, ShardConfig shard) {
    controller.withInformerListLimit(LIST_PAGE);
    shard.playSelector().ifPresent(controller::withLabelSelector);
    shard.name().ifPresent(name -> controller.withFieldManager(fieldManager(name)));
    Set<String> namespaces = controller.build().getInformerConfig().getNamespaces();
    if (namespaces.size() == 1) {
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

  /** The field manager of a shard's status writes. */
  static String fieldManager(String shard) {
    return "play-" + shard;
  }
}
