package io.herologic.operator.kube;

import io.herologic.model.ApiGroup;

/** Label and annotation keys the operator sets and selects on. */
public final class Labels {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "hero-logic";
  public static final String PART_OF = "app.kubernetes.io/part-of";
  public static final String PLAY = ApiGroup.GROUP + "/play";
  public static final String WORKFLOW = ApiGroup.GROUP + "/workflow";
  public static final String VERSION = ApiGroup.GROUP + "/version";
  public static final String DIGEST = ApiGroup.GROUP + "/digest";
  public static final String ROLE = ApiGroup.GROUP + "/role";
  public static final String BUILTIN = ApiGroup.GROUP + "/builtin";

  private Labels() {}

  /** Label values are at most 63 characters. */
  public static String value(String s) {
    return s == null ? "" : s.length() <= 63 ? s : s.substring(0, 63);
  }
}
