package io.herologic.operator.ui;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** How the web UI, its JSON API and /q/metrics check who is asking (HEROLOGIC_UI_AUTH). */
@ConfigMapping(prefix = "herologic.ui")
public interface UiAuthConfig {
  /**
   * {@code token} (default): every API answer and /q/metrics need a bearer token the API server
   * accepts (TokenReview), and show only what that person may read (SubjectAccessReview).
   * {@code none}: no checks at all, everything visible to anyone who reaches the port; for the
   * local demo only.
   */
  @WithDefault("token")
  Mode auth();

  /** How long a TokenReview or SubjectAccessReview answer is reused. */
  @WithDefault("30")
  int reviewCacheSeconds();

  enum Mode { TOKEN, NONE }
}
