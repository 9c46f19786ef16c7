package io.herologic.model;

/** What a Play does when its Workflow already runs as many Plays as it allows. */
public enum ConcurrencyMode {
  /** Wait, Pending with reason Queued, and start in creation order as places free. */
  Queue,
  /** Fail at once with reason ConcurrencyLimit. */
  Forbid,
  /** Cancel the oldest running Play of the Workflow and start when it has stopped. */
  Replace
}
