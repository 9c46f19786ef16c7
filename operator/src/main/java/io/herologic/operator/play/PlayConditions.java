package io.herologic.operator.play;

/** The condition types a Play's status carries. */
public final class PlayConditions {
  /** The workflow and version resolved and the Pod is (or is being) launched; False with the reason while waiting or refused. */
  public static final String READY = "Ready";
  /** The flow is running. */
  public static final String RUNNING = "Running";
  /** The Play reached a final phase; the reason says which way. */
  public static final String COMPLETED = "Completed";
  /** The status budget left something out. */
  public static final String TRACE_TRUNCATED = "TraceTruncated";
  /** The flow's event stream broke the protocol's rules (forged, out-of-order or malformed events); what was applied is said in the message. */
  public static final String EVENT_STREAM_VIOLATIONS = "EventStreamViolations";
  /** The Pod's log could not be read to its end. */
  public static final String TRACE_INCOMPLETE = "TraceIncomplete";

  /** Ready's reason while a failed attempt waits for its backoff before the next one. */
  public static final String RETRY_BACKOFF = "RetryBackoff";

  /** Ready's reason while a Play waits for a place under its Workflow's or the operator's concurrency limits. */
  public static final String QUEUED = "Queued";

  /**
   * Ready's reason while the API server refuses the Play's Pod with 403 Forbidden (a full
   * ResourceQuota, a policy, an authorizer that is still starting): the Play tries again, as a Job does.
   */
  public static final String POD_FORBIDDEN = "PodForbidden";

  private PlayConditions() {}
}
