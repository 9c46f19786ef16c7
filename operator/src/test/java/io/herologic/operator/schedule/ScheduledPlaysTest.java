package io.herologic.operator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlaySchedule;
import io.herologic.model.PlayScheduleSpec;
import io.herologic.model.PlaySpec;
import io.herologic.model.PlayStatus;
import io.herologic.model.PlayTemplate;
import io.herologic.operator.kube.Labels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScheduledPlaysTest {
  private static PlaySchedule schedule() {
    PlaySchedule schedule = new PlaySchedule();
    schedule.getMetadata().setName("nightly");
    schedule.getMetadata().setNamespace("team-a");
    schedule.getMetadata().setUid("uid-1");
    PlayTemplate template = new PlayTemplate();
    PlaySpec spec = new PlaySpec();
    spec.setWorkflow("hello");
    spec.setInputs(JsonNodeFactory.instance.objectNode().put("name", "Ada"));
    template.setSpec(spec);
    template.setLabels(Map.of("team", "a", ScheduledPlays.SCHEDULE_LABEL, "forged"));
    template.setAnnotations(Map.of("note", "x"));
    schedule.getSpec().setSchedule("* * * * *");
    schedule.getSpec().setTemplate(template);
    return schedule;
  }

  @Test
  void thePlayNameDependsOnlyOnTheScheduleAndTheScheduledMinute() {
    Instant t = Instant.parse("2026-12-01T10:07:00Z");
    assertEquals("nightly-" + (t.getEpochSecond() / 60), ScheduledPlays.playName(schedule(), t));
    assertEquals("nightly-29935327", ScheduledPlays.playName(schedule(), t));
    assertEquals(ScheduledPlays.playName(schedule(), t), ScheduledPlays.playName(schedule(), t.plusSeconds(59)));
  }

  @Test
  void theBuiltPlayIsTheTemplateOwnedLabelledAndAnnotated() {
    PlaySchedule schedule = schedule();
    Instant t = Instant.parse("2026-12-01T10:07:00Z");
    Play play = ScheduledPlays.build(schedule, t);
    assertEquals("team-a", play.getMetadata().getNamespace());
    var owner = play.getMetadata().getOwnerReferences().get(0);
    assertEquals(List.of("PlaySchedule", "nightly", "uid-1", true, "herologic.io/v1alpha1"),
        List.of(owner.getKind(), owner.getName(), owner.getUid(), owner.getController(), owner.getApiVersion()));
    assertEquals("nightly", play.getMetadata().getLabels().get(ScheduledPlays.SCHEDULE_LABEL), "the operator's label wins over the template's");
    assertEquals("a", play.getMetadata().getLabels().get("team"));
    assertEquals(Labels.OPERATOR, play.getMetadata().getLabels().get(Labels.MANAGED_BY));
    assertEquals("2026-12-01T10:07:00Z", play.getMetadata().getAnnotations().get(ScheduledPlays.SCHEDULED_AT));
    assertEquals("x", play.getMetadata().getAnnotations().get("note"));
    assertEquals("hello", play.getSpec().getWorkflow());
    assertEquals("Ada", play.getSpec().getInputs().get("name").asText());
    assertNotSame(schedule.getSpec().getTemplate().getSpec().getInputs(), play.getSpec().getInputs(), "a copy, not the cached template's");
    assertNull(play.getStatus());
  }

  @Test
  void historyKeepsTheNewestSucceededAndFailedPlaysWithinTheirLimits() {
    PlayScheduleSpec spec = new PlayScheduleSpec();
    spec.setSuccessfulPlaysHistoryLimit(2);
    spec.setFailedPlaysHistoryLimit(1);
    List<Play> plays = new ArrayList<>();
    plays.add(finished("s1", PlayPhase.Succeeded, "2026-12-01T10:01:10Z"));
    plays.add(finished("s2", PlayPhase.Succeeded, "2026-12-01T10:02:10Z"));
    plays.add(finished("s3", PlayPhase.Succeeded, "2026-12-01T10:03:10Z"));
    plays.add(finished("f1", PlayPhase.Failed, "2026-12-01T10:01:20Z"));
    plays.add(finished("c1", PlayPhase.Cancelled, "2026-12-01T10:02:20Z"));
    plays.add(finished("r1", PlayPhase.Running, null));
    assertEquals(List.of("s1", "f1"), ScheduleHistory.beyondLimits(plays, spec).stream().map(p -> p.getMetadata().getName()).toList());
  }

  @Test
  void historyDefaultsAreCronJobsThreeAndOne() {
    List<Play> plays = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      plays.add(finished("s" + i, PlayPhase.Succeeded, "2026-12-01T10:0" + i + ":00Z"));
      plays.add(finished("f" + i, PlayPhase.Failed, "2026-12-01T10:0" + i + ":30Z"));
    }
    var deleted = ScheduleHistory.beyondLimits(plays, new PlayScheduleSpec()).stream().map(p -> p.getMetadata().getName()).toList();
    assertEquals(List.of("s1", "s0", "f3", "f2", "f1", "f0"), deleted);
  }

  @Test
  void theCachedCopyOfAPlayKeepsOnlyWhatTheScheduleReads() {
    Play play = finished("s1", PlayPhase.Succeeded, "2026-12-01T10:01:10Z");
    play.setSpec(new PlaySpec());
    play.getStatus().setMessage("a long message");
    Play slim = PlayScheduleReconciler.phaseOnly(play);
    assertNull(slim.getSpec());
    assertNull(slim.getStatus().getMessage());
    assertEquals(PlayPhase.Succeeded, slim.getStatus().getPhase());
    assertEquals("2026-12-01T10:01:10Z", slim.getStatus().getCompletionTime());
    assertTrue(slim.getMetadata().getName().equals("s1"));
  }

  private static Play finished(String name, PlayPhase phase, String completed) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setCreationTimestamp("2026-12-01T10:00:00Z");
    PlayStatus status = new PlayStatus();
    status.setPhase(phase);
    status.setCompletionTime(completed);
    play.setStatus(status);
    return play;
  }
}
