package io.herologic.operator.ui;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Who a bearer token belongs to, as the API server says through a TokenReview: the same check
 * the API server makes for its own requests, so any token kubectl accepts (a ServiceAccount token
 * from {@code kubectl create token}, an OIDC id token, a token an auth proxy forwards) works here.
 *
 * <p>Answers, good and bad, are kept for a short while under the SHA-256 of the token: the token
 * itself is never kept, logged or used as a key.
 */
@ApplicationScoped
public class UiAuthenticator {
  private static final Logger LOG = Logger.getLogger(UiAuthenticator.class);
  static final int MAX_CACHED_TOKENS = 1000;

  private final KubernetesClient client;
  private final ExpiringCache<String, Optional<Viewer>> reviews;

  public UiAuthenticator(KubernetesClient client, UiAuthConfig config) {
    this.client = client;
    this.reviews = new ExpiringCache<>(MAX_CACHED_TOKENS, Duration.ofSeconds(config.reviewCacheSeconds()), Clock.systemUTC());
  }

  /** The token of an {@code Authorization: Bearer <token>} header; empty for no header or another scheme. */
  static Optional<String> bearerToken(String authorization) {
    if (authorization == null) {
      return Optional.empty();
    }
    String value = authorization.strip();
    int space = value.indexOf(' ');
    if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
      return Optional.empty();
    }
    String token = value.substring(space + 1).strip();
    return token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  /**
   * The viewer the token belongs to, or empty when the API server does not accept it. Throws
   * when the API server could not be asked (the caller answers 503; nothing is cached then).
   */
  public Optional<Viewer> authenticate(String token) {
    String key = sha256(token);
    Optional<Optional<Viewer>> cached = reviews.get(key);
    if (cached.isPresent()) {
      return cached.get();
    }
    TokenReview review = client.authentication().v1().tokenReviews()
        .create(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
    Optional<Viewer> viewer = Optional.empty();
    if (review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAuthenticated()) && review.getStatus().getUser() != null) {
      viewer = Optional.of(Viewer.of(review.getStatus().getUser()));
    } else {
      LOG.debugf("a token (sha256 %s...) was not accepted: %s", key.substring(0, 12),
          review.getStatus() == null ? "no status" : review.getStatus().getError());
    }
    reviews.put(key, viewer);
    return viewer;
  }

  static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }
}
