package io.herologic.model;

/** Where a Play is in its life. Succeeded, Failed and Cancelled are final. */
public enum PlayPhase {
  Pending,
  Running,
  Succeeded,
  Failed,
  Cancelled;

  public boolean isFinal() {
    return this == Succeeded || this == Failed || this == Cancelled;
  }
}
