package io.herologic.model;

/** The API group and version every hero-logic kind is served under, and the labels the kinds share. */
public final class ApiGroup {
  public static final String GROUP = "herologic.io";
  public static final String VERSION = "v1alpha1";
  public static final String API_VERSION = GROUP + "/" + VERSION;
  /** `kubectl get herologic` lists Workflows, WorkflowVersions, Plays and PlaySchedules together. */
  public static final String CATEGORY = "herologic";

  private ApiGroup() {}
}
