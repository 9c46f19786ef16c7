package io.herologic.operator.play;

import io.herologic.model.Play;

/** Names of the objects a Play owns; one helper each so no code builds them by hand. */
public final class PlayNames {
  public static final String CONTAINER = "flow";
  private static final int MAX_BASE = 50;

  private PlayNames() {}

  /**
   * The Play's Pod: its name plus a piece of its uid, so a re-created Play never meets an old Pod.
   * Valid for every legal Play name (up to 253 characters, dots and dashes anywhere legal).
   */
  public static String pod(Play play) {
    String name = play.getMetadata().getName();
    String uid = play.getMetadata().getUid() == null ? "00000" : play.getMetadata().getUid().replace("-", "");
    String base = name.length() > MAX_BASE ? name.substring(0, MAX_BASE) : name;
    int end = base.length();
    while (end > 0 && (base.charAt(end - 1) == '.' || base.charAt(end - 1) == '-')) {
      end--;
    }
    return base.substring(0, end) + "-" + uid.substring(0, 5);
  }

  /**
   * The Pod of attempt {@code attempt} (1-based). The first keeps {@link #pod(Play)}; a retry adds
   * its number, so every attempt has a Pod of its own and earlier Pods (and their logs) stay. The
   * uid piece is always 5 characters, so "-2" can never make the name of another Play's Pod.
   */
  public static String pod(Play play, int attempt) {
    return attempt <= 1 ? pod(play) : pod(play) + "-" + attempt;
  }
}
