package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.model.ConcurrencyMode;
import io.herologic.model.ConcurrencyPolicy;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlayQueueTest {
  private static final Instant T0 = Instant.parse("2026-12-01T02:00:00Z");

  private static PlayQueue.Entry running(String ns, String name, String workflow, int second) {
    return new PlayQueue.Entry(new ResourceID(name, ns), workflow, T0.plusSeconds(second), true, false, false);
  }

  private static PlayQueue.Entry queued(String ns, String name, String workflow, int second) {
    return new PlayQueue.Entry(new ResourceID(name, ns), workflow, T0.plusSeconds(second), false, true, false);
  }

  private static PlayQueue.Limits limits(Optional<Integer> overall, Optional<Integer> perNamespace, Map<String, ConcurrencyPolicy> workflows) {
    return new PlayQueue.Limits(overall, perNamespace, key -> Optional.ofNullable(workflows.get(key)));
  }

  private static PlayQueue.Limits workflowLimit(String key, int max, ConcurrencyMode mode) {
    return limits(Optional.empty(), Optional.empty(), Map.of(key, new ConcurrencyPolicy(max, mode)));
  }

  @Test
  void queuedPlaysStartInCreationOrderThenNameAsPlacesFree() {
    List<PlayQueue.Entry> plays = new ArrayList<>(List.of(running("a", "r1", "wf", 0), running("a", "r2", "wf", 0)));
    // Created in the same second: the name decides, so play-03 comes before play-10.
    PlayQueue.Entry p10 = queued("a", "play-10", "wf", 5);
    PlayQueue.Entry p03 = queued("a", "play-03", "wf", 5);
    PlayQueue.Entry p01 = queued("a", "play-01", "wf", 6);
    plays.addAll(List.of(p10, p03, p01));
    PlayQueue.Limits three = workflowLimit("a/wf", 3, ConcurrencyMode.Queue);

    assertInstanceOf(PlayQueue.Start.class, PlayQueue.decide(p03, plays, three), "one place left, and play-03 is first in line");
    PlayQueue.Decision second = PlayQueue.decide(p10, plays, three);
    assertEquals(new PlayQueue.Queued(1, "queued, number 1 in line: Workflow wf allows 3 running Plays and 3 are running"), second);
    assertEquals(2, ((PlayQueue.Queued) PlayQueue.decide(p01, plays, three)).position(), "created a second later: behind both");
  }

  @Test
  void aPlayHeldBackByItsOwnWorkflowDoesNotHoldBackOthersInTheNamespace() {
    PlayQueue.Entry blocked = queued("a", "old", "solo", 0);
    PlayQueue.Entry other = queued("a", "new", "free", 1);
    List<PlayQueue.Entry> plays = List.of(running("a", "r", "solo", 0), blocked, other);
    PlayQueue.Limits limits = limits(Optional.empty(), Optional.of(2), Map.of("a/solo", new ConcurrencyPolicy(1, ConcurrencyMode.Queue)));
    assertInstanceOf(PlayQueue.Queued.class, PlayQueue.decide(blocked, plays, limits));
    assertInstanceOf(PlayQueue.Start.class, PlayQueue.decide(other, plays, limits), "the namespace has a place and the older Play cannot take it");
  }

  @Test
  void namespaceAndOverallLimitsCountEveryWorkflow() {
    List<PlayQueue.Entry> plays = List.of(running("a", "x", "one", 0), running("a", "y", "two", 0), running("b", "z", "one", 0),
        queued("a", "q", "three", 1), queued("b", "q", "one", 2));
    PlayQueue.Decision inA = PlayQueue.decide(plays.get(3), plays, limits(Optional.empty(), Optional.of(2), Map.of()));
    assertEquals(new PlayQueue.Queued(1, "queued, number 1 in line: the operator allows 2 running Plays per namespace and 2 are running in a"), inA);
    assertInstanceOf(PlayQueue.Start.class, PlayQueue.decide(plays.get(4), plays, limits(Optional.empty(), Optional.of(2), Map.of())));

    PlayQueue.Limits overall = limits(Optional.of(4), Optional.empty(), Map.of());
    assertInstanceOf(PlayQueue.Start.class, PlayQueue.decide(plays.get(3), plays, overall), "the older queued Play takes the fourth place");
    assertEquals(new PlayQueue.Queued(1, "queued, number 1 in line: the operator allows 4 running Plays in all and 4 are running"),
        PlayQueue.decide(plays.get(4), plays, overall));
  }

  @Test
  void forbidFailsAPlayBeyondTheLimitAndReplaceSupersedesTheOldest() {
    PlayQueue.Entry newest = queued("a", "new", "wf", 9);
    List<PlayQueue.Entry> plays = List.of(running("a", "old", "wf", 0), running("a", "mid", "wf", 5), newest);
    PlayQueue.Decision forbid = PlayQueue.decide(newest, plays, workflowLimit("a/wf", 2, ConcurrencyMode.Forbid));
    assertEquals(new PlayQueue.Forbidden("Workflow wf allows 2 running Plays and 2 are running"), forbid);
    assertInstanceOf(PlayQueue.Start.class, PlayQueue.decide(newest, plays, workflowLimit("a/wf", 3, ConcurrencyMode.Forbid)));

    ConcurrencyPolicy replace = new ConcurrencyPolicy(2, ConcurrencyMode.Replace);
    assertTrue(PlayQueue.superseded(plays.get(0), plays, replace), "two newer Plays want the two places");
    assertFalse(PlayQueue.superseded(plays.get(1), plays, replace), "only one Play is newer than mid");
    assertFalse(PlayQueue.superseded(plays.get(0), plays, new ConcurrencyPolicy(2, ConcurrencyMode.Queue)));
    PlayQueue.Entry cancelling = new PlayQueue.Entry(new ResourceID("new", "a"), "wf", T0.plusSeconds(9), false, true, true);
    assertFalse(PlayQueue.superseded(plays.get(0), List.of(plays.get(0), plays.get(1), cancelling), replace), "a cancelled Play replaces nobody");
  }

  @Test
  void placesFarBackInLineAreNotCountedSoStartsDoNotRewriteEveryQueuedPlay() {
    List<PlayQueue.Entry> plays = new ArrayList<>(List.of(running("a", "r", "wf", 0)));
    for (int i = 0; i < 60; i++) {
      plays.add(queued("a", String.format("q-%02d", i), "wf", 1));
    }
    PlayQueue.Limits one = workflowLimit("a/wf", 1, ConcurrencyMode.Queue);
    PlayQueue.Queued fiftieth = (PlayQueue.Queued) PlayQueue.decide(plays.get(50), plays, one);
    assertEquals(50, fiftieth.position());
    assertTrue(fiftieth.message().startsWith("queued, number 50 in line: "), fiftieth.message());
    PlayQueue.Queued last = (PlayQueue.Queued) PlayQueue.decide(plays.get(60), plays, one);
    assertEquals(60, last.position());
    assertTrue(last.message().startsWith("queued, more than 50 in line: "), last.message());
  }

  @Test
  void withoutLimitsEveryPlayStarts() {
    PlayQueue.Entry q = queued("a", "q", "wf", 0);
    List<PlayQueue.Entry> plays = List.of(running("a", "r1", "wf", 0), running("a", "r2", "wf", 0), q);
    assertInstanceOf(PlayQueue.Start.class, PlayQueue.decide(q, plays, limits(Optional.empty(), Optional.empty(), Map.of())));
  }

  @Test
  void inTheSameSecondTheRunningPlayIsTheOlderOneWhateverTheNames() {
    ConcurrencyPolicy replace = new ConcurrencyPolicy(1, ConcurrencyMode.Replace);
    PlayQueue.Entry old = running("a", "latest-old", "wf", 0);
    PlayQueue.Entry arriving = queued("a", "latest-new", "wf", 0);
    List<PlayQueue.Entry> plays = List.of(old, arriving);
    assertTrue(PlayQueue.superseded(old, plays, replace), "the running Play makes way");
    assertFalse(PlayQueue.superseded(arriving, plays, replace), "the Play that asked for the place keeps it");
  }
}
