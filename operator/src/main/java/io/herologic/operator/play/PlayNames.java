package io.herologic.operator.play;

import io.herologic.model.Play;

/** Names of the objects a Play owns; one helper each so no code builds them by hand. */
public final class PlayNames {
  public static final String CONTAINER = "flow";

  private PlayNames() {}

  /** The Play's Pod: its name plus a piece of its uid, so a re-created Play never meets an old Pod. */
  public static String pod(Play play) {
    String name = play.getMetadata().getName();
    String uid = play.getMetadata().getUid() == null ? "00000" : play.getMetadata().getUid().replace("-", "");
    String base = name.length() > 50 ? name.substring(0, 50) : name;
    if (base.endsWith(".") || base.endsWith("-")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + "-" + uid.substring(0, 5);
  }
}
