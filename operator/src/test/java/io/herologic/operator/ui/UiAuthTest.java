package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UiAuthTest {
  @Test
  void onlyABearerHeaderCarriesAToken() {
    assertEquals(Optional.of("abc.def"), UiAuthenticator.bearerToken("Bearer abc.def"));
    assertEquals(Optional.of("abc.def"), UiAuthenticator.bearerToken("bearer   abc.def "), "the scheme is case-insensitive (RFC 7235)");
    assertEquals(Optional.empty(), UiAuthenticator.bearerToken(null));
    assertEquals(Optional.empty(), UiAuthenticator.bearerToken("Bearer "));
    assertEquals(Optional.empty(), UiAuthenticator.bearerToken("Basic dXNlcjpwYXNz"));
    assertEquals(Optional.empty(), UiAuthenticator.bearerToken("abc.def"), "a bare token is not a bearer header");
  }

  @Test
  void tokensAreKeptOnlyAsTheirHash() {
    String key = UiAuthenticator.sha256("secret-token");
    assertEquals(64, key.length());
    assertFalse(key.contains("secret"));
    assertEquals("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b", UiAuthenticator.sha256("secret"));
  }

  @Test
  void answersExpireAfterTheirTimeToLive() {
    MutableClock clock = new MutableClock();
    ExpiringCache<String, Boolean> cache = new ExpiringCache<>(10, Duration.ofSeconds(30), clock);
    cache.put("alice/ns-a", true);
    clock.advance(Duration.ofSeconds(29));
    assertEquals(Optional.of(true), cache.get("alice/ns-a"));
    clock.advance(Duration.ofSeconds(1));
    assertEquals(Optional.empty(), cache.get("alice/ns-a"), "after 30 s the API server is asked again");
    assertEquals(0, cache.size(), "an expired answer is dropped");
  }

  @Test
  void theCacheHoldsAtMostItsBoundDroppingTheLeastRecentlyUsed() {
    ExpiringCache<Integer, Integer> cache = new ExpiringCache<>(3, Duration.ofMinutes(1), new MutableClock());
    cache.put(1, 1);
    cache.put(2, 2);
    cache.put(3, 3);
    assertTrue(cache.get(1).isPresent()); // 1 is now the most recently used
    cache.put(4, 4);
    assertEquals(3, cache.size());
    assertTrue(cache.get(2).isEmpty(), "the least recently used went first");
    assertTrue(cache.get(1).isPresent() && cache.get(3).isPresent() && cache.get(4).isPresent());
    for (int i = 5; i < 1000; i++) {
      cache.put(i, i);
    }
    assertEquals(3, cache.size(), "many distinct keys never grow it past its bound");
  }

  private static final class MutableClock extends Clock {
    private Instant now = Instant.parse("2026-11-30T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void writesFromAnotherSitesPageAreRefusedAndTheUisOwnAndScriptsAreNot() {
    assertTrue(UiAccessFilter.crossSite("POST", "https://evil.example", "hero-logic.example:8080", null));
    assertTrue(UiAccessFilter.crossSite("DELETE", "http://127.0.0.1:9999", "127.0.0.1:8080", null), "another port is another origin");
    assertTrue(UiAccessFilter.crossSite("POST", "null", "127.0.0.1:8080", null), "a sandboxed page");
    assertTrue(UiAccessFilter.crossSite("POST", null, "127.0.0.1:8080", "cross-site"), "a browser that says so without an Origin");
    assertFalse(UiAccessFilter.crossSite("POST", "http://127.0.0.1:8080", "127.0.0.1:8080", "same-origin"), "the UI's own page");
    assertFalse(UiAccessFilter.crossSite("DELETE", "HTTP://Hero-Logic.example", "hero-logic.example", null), "hosts compare in any case");
    assertFalse(UiAccessFilter.crossSite("POST", null, "127.0.0.1:8080", null), "curl and scripts send no Origin");
    assertFalse(UiAccessFilter.crossSite("GET", "https://evil.example", "127.0.0.1:8080", "cross-site"), "reads are not writes");
  }
}
