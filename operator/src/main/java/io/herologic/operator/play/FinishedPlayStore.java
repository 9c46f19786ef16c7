package io.herologic.operator.play;

import io.herologic.model.Play;
import io.herologic.model.PlayStatus;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;

/**
 * The Play informer's store: a finished Play is kept without its spans, so the operator's memory
 * does not grow with the number of finished Plays (design decision 11). A 2,000-span trace is about
 * 1.7 MB of heap; the rest of a finished Play (phase, times, counts, output, error, conditions) is a
 * few KB and stays, because the reconciler (final phase, completion time), retention (phase,
 * completion time, creation time) and the UI's list (counts, times, message) read it.
 *
 * <p>Nothing in the operator needs a finished Play's spans from the cache: a finished Play is never
 * written again ({@link PlayReconciler} only prunes and expires it), and {@link PlayStatusWriter}
 * refuses to write from a trimmed copy, because it applies the whole status with server-side apply
 * and spans missing from its apply would be removed from the server's object. The UI reads a
 * finished Play's spans on demand ({@code ui.UiCaches#play}).
 *
 * <p>The trim happens as the informer stores an object it has just read (the object is its own,
 * not yet shared), page by page while it lists, so start-up never holds every finished trace at
 * once. JOSDK gives one store instance to every informer of the controller, so this store may only
 * be used when the controller runs one informer: one namespace, or all of them (see
 * {@link PlayInformer}).
 */
public final class FinishedPlayStore extends TransformingItemStore<Play> {
  public FinishedPlayStore() {
    super(FinishedPlayStore::trim);
  }

  /** {@code play} itself, its spans dropped when it is finished. */
  static Play trim(Play play) {
    PlayStatus status = play.getStatus();
    if (status != null && status.getPhase() != null && status.getPhase().isFinal()) {
      status.setSpans(null);
    }
    return play;
  }

  /**
   * Whether {@code play} is a copy this store trimmed: finished, with spans reported but none held.
   * Such a copy may be read for everything but its spans, and never written back.
   */
  public static boolean isTrimmed(Play play) {
    PlayStatus status = play.getStatus();
    return status != null && status.getPhase() != null && status.getPhase().isFinal()
        && status.getSpans() == null && status.getSpanCount() != null && status.getSpanCount() > 0;
  }
}
