package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.Span;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FinishedPlayStoreTest {
  private final FinishedPlayStore store = new FinishedPlayStore();

  private static Play play(String name, String resourceVersion, PlayPhase phase, int spans) {
    Play play = new Play();
    play.getMetadata().setNamespace("team-a");
    play.getMetadata().setName(name);
    play.getMetadata().setResourceVersion(resourceVersion);
    play.getSpec().setWorkflow("hello");
    PlayStatus status = new PlayStatus();
    status.setPhase(phase);
    status.setCompletionTime(phase.isFinal() ? "2026-12-01T02:00:00Z" : null);
    status.setMessage("flow hello " + phase);
    List<Span> list = new ArrayList<>();
    for (int i = 0; i < spans; i++) {
      Span span = new Span();
      span.setName("step-" + i);
      list.add(span);
    }
    status.setSpans(list);
    status.setSpanCount(spans);
    play.setStatus(status);
    return play;
  }

  private Play put(Play play) {
    store.put(store.getKey(play), play);
    return store.get(Cache.metaNamespaceKeyFunc(play));
  }

  @Test
  void aFinishedPlayIsKeptWithoutItsSpansButWithEverythingElse() {
    Play kept = put(play("done", "7", PlayPhase.Succeeded, 2000));

    assertNull(kept.getStatus().getSpans());
    assertEquals(2000, kept.getStatus().getSpanCount());
    assertEquals(PlayPhase.Succeeded, kept.getStatus().getPhase());
    assertEquals("2026-12-01T02:00:00Z", kept.getStatus().getCompletionTime());
    assertEquals("flow hello Succeeded", kept.getStatus().getMessage());
    assertEquals("hello", kept.getSpec().getWorkflow());
    assertEquals("7", kept.getMetadata().getResourceVersion());
    assertTrue(FinishedPlayStore.isTrimmed(kept));
  }

  @Test
  void aRunningPlayIsKeptWhole() {
    Play kept = put(play("running", "3", PlayPhase.Running, 10));

    assertEquals(10, kept.getStatus().getSpans().size());
    assertFalse(FinishedPlayStore.isTrimmed(kept));
  }

  @Test
  void aPlayIsTrimmedWhenItsUpdateSaysItFinished() {
    put(play("p", "3", PlayPhase.Running, 10));
    Play finished = put(play("p", "4", PlayPhase.Failed, 12));

    assertNull(finished.getStatus().getSpans());
    assertEquals("4", finished.getMetadata().getResourceVersion());
    assertEquals(1, store.size());
  }

  @Test
  void aFinishedPlayWithoutSpansIsNotTakenForATrimmedOne() {
    Play kept = put(play("refused", "5", PlayPhase.Failed, 0));

    assertFalse(FinishedPlayStore.isTrimmed(kept)); // nothing was dropped: the UI need not read it again
  }

  @Test
  void theStatusWriterRefusesToWriteFromATrimmedCopy() {
    Play trimmed = put(play("done", "7", PlayPhase.Succeeded, 2000));
    PlayStatus changed = new PlayStatus();
    changed.setPhase(PlayPhase.Succeeded);
    changed.setMessage("something else");

    PlayStatusWriter writer = new PlayStatusWriter(null, null);
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> writer.write(trimmed, changed, null));
    assertTrue(refused.getMessage().contains("team-a/done"), refused.getMessage());
  }

  @Test
  void theStatusWriterLeavesAnUnchangedStatusAlone() {
    Play running = put(play("running", "3", PlayPhase.Running, 10));
    PlayStatusWriter writer = new PlayStatusWriter(null, null);

    assertSame(running, writer.write(running, running.getStatus(), null));
  }
}
