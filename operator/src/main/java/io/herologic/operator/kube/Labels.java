package io.herologic.operator.kube;

import io.herologic.model.ApiGroup;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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
  /** Set by an administrator on a ServiceAccount that Workflows may run flows under. */
  public static final String FLOW_RUNNER = ApiGroup.GROUP + "/flow-runner";
  /** Services a Workflow with discoverServices is handed. */
  public static final String DISCOVER = ApiGroup.GROUP + "/discover";
  /** A Play's shard (README "Sharding"); child Plays inherit it, so they run in their parent's shard. */
  public static final String SHARD = ApiGroup.GROUP + "/shard";

  private static final int MAX_VALUE = 63;

  private Labels() {}

  /**
   * A valid label value for any object name: names longer than 63 characters keep a head and a
   * hash of the whole name (two long names never share a value), and the value always starts and
   * ends with a letter or digit, as the API server requires.
   */
  public static String value(String s) {
    if (s == null) {
      return "";
    }
    if (s.length() <= MAX_VALUE && trim(s).equals(s)) {
      return s;
    }
    String hash = sha256(s).substring(0, 10);
    return trim(s.substring(0, Math.min(s.length(), MAX_VALUE - hash.length() - 1))) + "-" + hash;
  }

  private static String trim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && !Character.isLetterOrDigit(s.charAt(start))) {
      start++;
    }
    while (end > start && !Character.isLetterOrDigit(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
