package io.herologic.operator.schedule;

import io.herologic.model.Play;
import io.herologic.model.PlayScheduleSpec;
import io.herologic.operator.play.PlayRetention;
import java.util.List;

/**
 * A PlaySchedule's history limits, like a CronJob's: of its finished Plays it keeps the newest
 * successfulPlaysHistoryLimit succeeded and failedPlaysHistoryLimit failed or cancelled ones, in
 * the order the Workflow history limits use. (Those still apply to the same Plays as well.)
 */
final class ScheduleHistory {
  private ScheduleHistory() {}

  /** The finished Plays beyond the limits, to delete. */
  static List<Play> beyondLimits(List<Play> plays, PlayScheduleSpec spec) {
    return PlayRetention.beyondLimits(plays, spec.successfulHistory(), spec.failedHistory());
  }
}
