package io.herologic.operator.ui;

import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Defence in depth for the UI: the pages already insert every string a flow produced as text,
 * and this Content-Security-Policy would stop a script even if one slipped in (no inline script,
 * nothing from another origin). Quarkus' own endpoints under /q/ are left as they are.
 *
 * <p>The pages themselves are revalidated on every load (Quarkus would let browsers keep them a
 * day), so an upgraded operator never runs against yesterday's scripts.
 */
@ApplicationScoped
public class UiSecurityHeaders {
  static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  void register(@Observes Filters filters) {
    filters.register(ctx -> {
      String path = ctx.normalizedPath();
      if (!path.startsWith("/q/")) {
        ctx.response().putHeader("Content-Security-Policy", POLICY)
            .putHeader("X-Content-Type-Options", "nosniff")
            .putHeader("Referrer-Policy", "no-referrer");
        if (!path.startsWith("/api/")) {
          ctx.addHeadersEndHandler(v -> ctx.response().headers().set("Cache-Control", "no-cache"));
        }
      }
      ctx.next();
    }, 10);
  }
}
