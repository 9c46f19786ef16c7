package io.herologic.operator.play;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlayRetentionTest {
  @Test
  void playsThatEndedInTheSameSecondAreToldApartByCreationThenName() {
    List<Play> plays = List.of(
        play("b", PlayPhase.Succeeded, "2026-12-01T10:00:01Z", "2026-12-01T10:05:00Z"),
        play("a", PlayPhase.Succeeded, "2026-12-01T10:00:01Z", "2026-12-01T10:05:00Z"),
        play("early", PlayPhase.Succeeded, "2026-12-01T10:00:00Z", "2026-12-01T10:05:00Z"),
        play("newest", PlayPhase.Succeeded, "2026-12-01T09:00:00Z", "2026-12-01T10:06:00Z"));
    assertEquals(List.of("a", "early"), names(PlayRetention.beyondLimits(plays, 2, 0)));
  }

  @Test
  void aGroupWithinItsLimitLosesNothingWhateverTheOtherGroupDoes() {
    List<Play> plays = List.of(
        play("s1", PlayPhase.Succeeded, "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z"),
        play("s2", PlayPhase.Succeeded, "2026-12-01T10:00:00Z", "2026-12-01T10:02:00Z"),
        play("f1", PlayPhase.Failed, "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z"),
        play("c1", PlayPhase.Cancelled, "2026-12-01T10:00:00Z", "2026-12-01T10:03:00Z"));
    assertEquals(List.of("f1"), names(PlayRetention.beyondLimits(plays, 2, 1)), "cancelled counts with failed; the older goes");
    assertEquals(List.of(), names(PlayRetention.beyondLimits(plays, 2, 2)));
  }

  @Test
  void runningPlaysAndPlaysBeingDeletedAreNeitherCountedNorDeleted() {
    Play deleting = play("deleting", PlayPhase.Succeeded, "2026-12-01T10:00:00Z", "2026-12-01T10:09:00Z");
    deleting.getMetadata().setDeletionTimestamp("2026-12-01T10:10:00Z");
    List<Play> plays = List.of(deleting,
        play("running", PlayPhase.Running, "2026-12-01T10:00:00Z", null),
        play("old", PlayPhase.Succeeded, "2026-12-01T10:00:00Z", "2026-12-01T10:01:00Z"),
        play("new", PlayPhase.Succeeded, "2026-12-01T10:00:00Z", "2026-12-01T10:02:00Z"));
    assertEquals(List.of("old"), names(PlayRetention.beyondLimits(plays, 1, 1)));
  }

  private static List<String> names(List<Play> plays) {
    return plays.stream().map(p -> p.getMetadata().getName()).toList();
  }

  private static Play play(String name, PlayPhase phase, String created, String completed) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setCreationTimestamp(created);
    PlayStatus status = new PlayStatus();
    status.setPhase(phase);
    status.setCompletionTime(completed);
    play.setStatus(status);
    return play;
  }
}
