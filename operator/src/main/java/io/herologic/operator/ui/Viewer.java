package io.herologic.operator.ui;

import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import java.util.List;
import java.util.Map;

/**
 * The person (or program) looking at the UI, as the API server's TokenReview named them. A
 * SubjectAccessReview asks about exactly this user, uid, groups and extra.
 *
 * <p>{@code unrestricted} is true only for the local demo mode ({@code herologic.ui.auth=none}),
 * where nobody is checked: it exists so that code that forgot to authenticate finds no viewer at
 * all and refuses, rather than a viewer that sees everything.
 */
public record Viewer(String username, String uid, List<String> groups, Map<String, List<String>> extra, boolean unrestricted) {
  /** Where the request's viewer is kept in the Vert.x routing context. */
  static final String CONTEXT_KEY = "herologic.viewer";

  static final Viewer DEMO = new Viewer(null, null, List.of(), Map.of(), true);

  public Viewer {
    groups = groups == null ? List.of() : List.copyOf(groups);
    extra = extra == null ? Map.of() : Map.copyOf(extra);
  }

  static Viewer of(UserInfo user) {
    Map<String, List<String>> extra = user.getExtra() == null ? Map.of() : user.getExtra();
    return new Viewer(user.getUsername(), user.getUid(), user.getGroups(), extra, false);
  }
}
