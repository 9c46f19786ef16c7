package io.herologic.operator.schedule;

import io.herologic.model.ScheduleConcurrencyPolicy;
import io.herologic.model.PlayScheduleSpec;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides what a PlaySchedule does now, the way the CronJob controller does: of the runs due
 * since the last one started (or since the schedule was created), only the most recent is
 * started, late if need be; with startingDeadlineSeconds, runs older than the deadline are not
 * started at all. A run held back by Forbid stays due, so it starts when the running Play ends
 * (if still within the deadline). No clock in here: {@code now} is given.
 */
public final class RunPlanner {
  /** Past this many missed runs the CronJob controller warns (TooManyMissedTimes); so does this. */
  public static final int MAX_MISSED = 100;

  private RunPlanner() {}

  public enum Action {
    /** No run is due. */
    NONE,
    /** Start the Play for {@link Plan#due()}. */
    START,
    /** Delete the running Plays, then start the Play for {@link Plan#due()}. */
    REPLACE,
    /** A run is due but an earlier Play still runs and the policy is Forbid. */
    FORBIDDEN,
    /** Suspended: nothing starts. */
    SUSPENDED
  }

  /**
   * @param due the scheduled time to act on
   * @param missed how many runs fell due since the last start, {@code due} included (at most MAX_MISSED + 1)
   * @param next the first run after now; empty when suspended or when the expression never fires again
   */
  public record Plan(Action action, Optional<Instant> due, int missed, Optional<Instant> next) {
    public boolean tooManyMissed() {
      return missed > MAX_MISSED;
    }
  }

  /**
   * @param lastScheduled the scheduled time of the last Play started, else the schedule's creation time
   * @param running how many of the schedule's Plays have not finished
   */
  public static Plan plan(CronSchedule cron, PlayScheduleSpec spec, Instant lastScheduled, int running, Instant now) {
    if (spec.isSuspended()) {
      return new Plan(Action.SUSPENDED, Optional.empty(), 0, Optional.empty());
    }
    Optional<Instant> next = cron.nextAfter(now);
    Instant from = lastScheduled;
    if (spec.getStartingDeadlineSeconds() != null) {
      Instant deadline = now.minusSeconds(spec.getStartingDeadlineSeconds());
      if (deadline.isAfter(from)) {
        from = deadline;
      }
    }
    int missed = countDue(cron, from, now);
    if (missed == 0) {
      return new Plan(Action.NONE, Optional.empty(), 0, next);
    }
    Optional<Instant> due = cron.lastAtOrBefore(now);
    if (running > 0 && spec.concurrency() == ScheduleConcurrencyPolicy.Forbid) {
      return new Plan(Action.FORBIDDEN, due, missed, next);
    }
    Action start = running > 0 && spec.concurrency() == ScheduleConcurrencyPolicy.Replace ? Action.REPLACE : Action.START;
    return new Plan(start, due, missed, next);
  }

  /** Runs in (from, now], counted up to MAX_MISSED + 1: enough to know there were too many. */
  static int countDue(CronSchedule cron, Instant from, Instant now) {
    int count = 0;
    Optional<Instant> t = cron.nextAfter(from);
    while (t.isPresent() && !t.get().isAfter(now) && count <= MAX_MISSED) {
      count++;
      t = cron.nextAfter(t.get());
    }
    return count;
  }
}
