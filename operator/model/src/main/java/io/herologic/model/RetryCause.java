package io.herologic.model;

/** Why an attempt of a Play failed, as far as retrying is concerned. */
public enum RetryCause {
  /** The flow raised, or its process exited with an error. */
  FlowFailed,
  /** The Pod was deleted or evicted before the flow finished. */
  PodLost,
  /** The attempt ran longer than its timeoutSeconds. */
  DeadlineExceeded
}
