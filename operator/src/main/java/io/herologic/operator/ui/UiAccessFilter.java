package io.herologic.operator.ui;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.runtime.filters.Filters;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The door to everything that shows data: every request under /api/ must carry a bearer token
 * the API server accepts (401 otherwise), and /q/metrics one whose user may get the non-resource
 * URL /metrics (403 otherwise). The viewer is handed to {@link UiApi} in the routing context,
 * which then shows only the namespaces that viewer may read. The pages and scripts themselves
 * hold no data and load without a token; /q/health stays open for probes.
 *
 * <p>Writes from a page of another site are refused first ({@link #crossSite}).
 *
 * <p>With {@code herologic.ui.auth=none} nothing else is checked (the local demo), said loudly at start.
 */
@ApplicationScoped
public class UiAccessFilter {
  private static final Logger LOG = Logger.getLogger(UiAccessFilter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String CHALLENGE = "Bearer realm=\"hero-logic\"";
  /** Where the request's own bearer token is kept in the Vert.x routing context (absent with auth=none). */
  static final String TOKEN_KEY = "herologic.token";

  private final UiAuthConfig config;
  private final UiAuthenticator authenticator;
  private final NamespaceAccess access;

  public UiAccessFilter(UiAuthConfig config, UiAuthenticator authenticator, NamespaceAccess access) {
    this.config = config;
    this.authenticator = authenticator;
    this.access = access;
  }

  void warnWhenOff(@Observes StartupEvent start) {
    if (config.auth() == UiAuthConfig.Mode.NONE) {
      LOG.warn("herologic.ui.auth=none: authentication is off. The web UI, its JSON API and /q/metrics show every watched "
          + "namespace to anyone who can reach port 8080. Use this for a local demo only; the default is token.");
    }
  }

  // After UiSecurityHeaders (priority 10), so that refusals carry its headers too.
  void register(@Observes Filters filters) {
    filters.register(this::filter, 5);
  }

  private void filter(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    boolean api = path.startsWith("/api/") || path.equals("/api");
    boolean metrics = path.equals("/q/metrics") || path.startsWith("/q/metrics/");
    if (!api && !metrics) {
      ctx.next();
      return;
    }
    if (api && crossSite(ctx.request().method().name(), ctx.request().getHeader("Origin"), ctx.request().getHeader("Host"),
        ctx.request().getHeader("Sec-Fetch-Site"))) {
      refuse(ctx, 403, "cross-site request refused: the UI's API accepts writes only from its own pages");
      return;
    }
    if (config.auth() == UiAuthConfig.Mode.NONE) {
      ctx.put(Viewer.CONTEXT_KEY, Viewer.DEMO);
      ctx.next();
      return;
    }
    Optional<String> token = UiAuthenticator.bearerToken(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
    if (token.isEmpty()) {
      refuse(ctx, 401, "authentication required: send Authorization: Bearer <token> (for example from kubectl create token)");
      return;
    }
    // TokenReview and SubjectAccessReview are blocking calls to the API server: off the event loop.
    ctx.request().pause();
    ctx.vertx().executeBlocking(() -> decide(token.get(), metrics), false).onComplete(result -> {
      ctx.request().resume();
      if (result.failed()) {
        LOG.warnf("could not review a UI request's token with the API server: %s", result.cause().toString());
        refuse(ctx, 503, "could not check the token with the Kubernetes API server; try again");
        return;
      }
      Decision decision = result.result();
      if (decision.viewer().isEmpty()) {
        refuse(ctx, 401, "the token was not accepted by the Kubernetes API server (expired, revoked or not a token)");
      } else if (!decision.allowed()) {
        refuse(ctx, 403, decision.viewer().get().username() + " may not get /metrics");
      } else {
        ctx.put(Viewer.CONTEXT_KEY, decision.viewer().get());
        // The writes UiActions makes go to the API server with this token, as this viewer; it lives
        // only as long as this request's routing context.
        ctx.put(TOKEN_KEY, token.get());
        ctx.next();
      }
    });
  }

  /**
   * Whether a write comes from a page of another site. The UI's writes carry the viewer's token,
   * which a browser does not attach by itself; but behind an auth proxy that adds the
   * Authorization header to every request, a page elsewhere could make the browser send one
   * (a form, or a fetch without CORS). Browsers name the page's origin on every POST and DELETE
   * (Origin) and say whether it is another site (Sec-Fetch-Site): either one is enough to refuse.
   * Reads are never refused here: another site cannot read the answers (no CORS headers).
   */
  static boolean crossSite(String method, String origin, String host, String fetchSite) {
    if (method == null || method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
      return false;
    }
    if ("cross-site".equalsIgnoreCase(fetchSite)) {
      return true;
    }
    if (origin == null) {
      return false; // not a browser (curl, a script), or one that names no origin: nothing to forge with
    }
    try {
      String authority = java.net.URI.create(origin.trim()).getRawAuthority();
      return authority == null || host == null || !authority.equalsIgnoreCase(host.trim());
    } catch (IllegalArgumentException e) {
      return true; // "null" (a sandboxed page) or garbage
    }
  }

  private record Decision(Optional<Viewer> viewer, boolean allowed) {}

  private Decision decide(String token, boolean metrics) {
    Optional<Viewer> viewer = authenticator.authenticate(token);
    boolean allowed = viewer.isPresent() && (!metrics || access.mayReadMetrics(viewer.get()));
    return new Decision(viewer, allowed);
  }

  private static void refuse(RoutingContext ctx, int status, String message) {
    if (status == 401) {
      ctx.response().putHeader("WWW-Authenticate", CHALLENGE);
    }
    if (status == 503) {
      ctx.response().putHeader("Retry-After", "1");
    }
    try {
      ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(JSON.writeValueAsString(new UiApi.ApiError(message)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
