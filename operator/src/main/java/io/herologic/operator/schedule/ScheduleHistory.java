package io.herologic.operator.schedule;

import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayScheduleSpec;
import io.herologic.operator.play.PlayRetention;
import java.util.List;
import java.util.stream.Stream;

/**
 * A PlaySchedule's history limits, like a CronJob's: of its finished Plays it keeps the newest
 * successfulPlaysHistoryLimit succeeded and failedPlaysHistoryLimit failed or cancelled ones, in
 * the order the Workflow history limits use. (Those still apply to the same Plays as well.)
 */
final class ScheduleHistory {
  private ScheduleHistory() {}

  /** The finished Plays beyond the limits, to delete. */
  static List<Play> beyondLimits(List<Play> plays, PlayScheduleSpec spec) {
    List<Play> finished = plays.stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null && PlayRetention.completedAt(p).isPresent())
        .sorted(PlayRetention.NEWEST_FIRST)
        .toList();
    List<Play> succeeded = finished.stream().filter(p -> p.getStatus().getPhase() == PlayPhase.Succeeded).toList();
    List<Play> failed = finished.stream().filter(p -> p.getStatus().getPhase() != PlayPhase.Succeeded).toList();
    return Stream.concat(beyond(succeeded, spec.successfulHistory()), beyond(failed, spec.failedHistory())).toList();
  }

  private static Stream<Play> beyond(List<Play> newestFirst, int keep) {
    return newestFirst.stream().skip(keep);
  }
}
