package io.herologic.operator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.model.ScheduleConcurrencyPolicy;
import io.herologic.model.PlayScheduleSpec;
import io.herologic.operator.schedule.RunPlanner.Action;
import io.herologic.operator.schedule.RunPlanner.Plan;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunPlannerTest {
  private static final Instant NOW = Instant.parse("2026-12-01T10:07:30Z");

  private static CronSchedule cron(String expression) throws CronSchedule.Invalid {
    return CronSchedule.parse(expression, null);
  }

  private static PlayScheduleSpec spec() {
    return new PlayScheduleSpec();
  }

  @Test
  void nothingIsDueBeforeTheFirstTimeAfterTheLastRun() throws Exception {
    Plan plan = RunPlanner.plan(cron("*/5 * * * *"), spec(), Instant.parse("2026-12-01T10:05:00Z"), 0, NOW);
    assertEquals(Action.NONE, plan.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:10:00Z")), plan.next());
  }

  @Test
  void theTimeThatPassedSinceTheLastRunIsStarted() throws Exception {
    Plan plan = RunPlanner.plan(cron("*/5 * * * *"), spec(), Instant.parse("2026-12-01T10:00:00Z"), 0, NOW);
    assertEquals(Action.START, plan.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:05:00Z")), plan.due());
    assertEquals(1, plan.missed());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:10:00Z")), plan.next());
  }

  @Test
  void aNewScheduleCountsFromItsCreationAndStartsNothingForEarlierTimes() throws Exception {
    Instant created = Instant.parse("2026-12-01T10:06:10Z");
    assertEquals(Action.NONE, RunPlanner.plan(cron("*/5 * * * *"), spec(), created, 0, NOW).action());
  }

  @Test
  void afterDowntimeOnlyTheMostRecentMissedRunStarts() throws Exception {
    // Down from 09:00 to 10:07:30: thirteen runs fell due; one starts, for 10:05.
    Plan plan = RunPlanner.plan(cron("*/5 * * * *"), spec(), Instant.parse("2026-12-01T09:00:00Z"), 0, NOW);
    assertEquals(Action.START, plan.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:05:00Z")), plan.due());
    assertEquals(13, plan.missed());
    assertFalse(plan.tooManyMissed());
  }

  @Test
  void moreThanAHundredMissedRunsAreTooMany() throws Exception {
    Plan plan = RunPlanner.plan(cron("* * * * *"), spec(), Instant.parse("2026-11-30T10:00:00Z"), 0, NOW);
    assertEquals(Action.START, plan.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:07:00Z")), plan.due(), "still the most recent one");
    assertTrue(plan.tooManyMissed());
    assertEquals(RunPlanner.MAX_MISSED + 1, plan.missed(), "counting stops past the limit");
  }

  @Test
  void startingDeadlineSkipsARunThatIsTooLate() throws Exception {
    PlayScheduleSpec spec = spec();
    spec.setStartingDeadlineSeconds(60L);
    // Due at 10:05, now 10:07:30: two and a half minutes late, the deadline is one.
    Plan late = RunPlanner.plan(cron("*/5 * * * *"), spec, Instant.parse("2026-12-01T10:00:00Z"), 0, NOW);
    assertEquals(Action.NONE, late.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:10:00Z")), late.next());
    spec.setStartingDeadlineSeconds(200L);
    Plan inTime = RunPlanner.plan(cron("*/5 * * * *"), spec, Instant.parse("2026-12-01T10:00:00Z"), 0, NOW);
    assertEquals(Action.START, inTime.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:05:00Z")), inTime.due());
  }

  @Test
  void startingDeadlineAlsoBoundsTheMissedRunsCounted() throws Exception {
    PlayScheduleSpec spec = spec();
    spec.setStartingDeadlineSeconds(300L);
    Plan plan = RunPlanner.plan(cron("* * * * *"), spec, Instant.parse("2026-11-30T10:00:00Z"), 0, NOW);
    assertEquals(Action.START, plan.action());
    assertEquals(5, plan.missed(), "10:03 to 10:07");
    assertFalse(plan.tooManyMissed());
  }

  @Test
  void forbidHoldsTheRunBackWhileAPlayRunsAndAllowDoesNot() throws Exception {
    PlayScheduleSpec spec = spec();
    spec.setConcurrencyPolicy(ScheduleConcurrencyPolicy.Forbid);
    Instant last = Instant.parse("2026-12-01T10:00:00Z");
    Plan held = RunPlanner.plan(cron("*/5 * * * *"), spec, last, 1, NOW);
    assertEquals(Action.FORBIDDEN, held.action());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:05:00Z")), held.due());
    assertEquals(Action.START, RunPlanner.plan(cron("*/5 * * * *"), spec, last, 0, NOW).action(), "once the Play ended");
    spec.setConcurrencyPolicy(null);
    assertEquals(Action.START, RunPlanner.plan(cron("*/5 * * * *"), spec, last, 3, NOW).action(), "Allow is the default");
  }

  @Test
  void replaceDeletesOnlyWhenAPlayRuns() throws Exception {
    PlayScheduleSpec spec = spec();
    spec.setConcurrencyPolicy(ScheduleConcurrencyPolicy.Replace);
    Instant last = Instant.parse("2026-12-01T10:00:00Z");
    assertEquals(Action.REPLACE, RunPlanner.plan(cron("*/5 * * * *"), spec, last, 1, NOW).action());
    assertEquals(Action.START, RunPlanner.plan(cron("*/5 * * * *"), spec, last, 0, NOW).action());
  }

  @Test
  void suspendedStartsNothingAndPromisesNoNextRun() throws Exception {
    PlayScheduleSpec spec = spec();
    spec.setSuspend(true);
    Plan plan = RunPlanner.plan(cron("* * * * *"), spec, Instant.parse("2026-12-01T09:00:00Z"), 0, NOW);
    assertEquals(Action.SUSPENDED, plan.action());
    assertEquals(Optional.empty(), plan.due());
    assertEquals(Optional.empty(), plan.next());
  }

  @Test
  void aRunExactlyNowIsDue() throws Exception {
    Instant now = Instant.parse("2026-12-01T10:05:00Z");
    Plan plan = RunPlanner.plan(cron("*/5 * * * *"), spec(), Instant.parse("2026-12-01T10:00:00Z"), 0, now);
    assertEquals(Optional.of(now), plan.due());
    assertEquals(Optional.of(Instant.parse("2026-12-01T10:10:00Z")), plan.next());
  }
}
