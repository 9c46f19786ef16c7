package io.herologic.model;

/** What a PlaySchedule does when a run is due while an earlier Play of it still runs (as a CronJob's). */
public enum ScheduleConcurrencyPolicy {
  /** Start the new Play anyway. */
  Allow,
  /** Skip the new run while an earlier Play runs. */
  Forbid,
  /** Delete the running Plays (and their Pods), then start the new one. */
  Replace
}
