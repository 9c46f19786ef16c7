package io.herologic.operator.ui;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A small cache of review answers: at most {@code maxEntries} (least recently used go first), each
 * for at most {@code ttl}. Reviews are cached so that a page polling every 800 ms costs the API
 * server one TokenReview and a few SubjectAccessReviews per person per ttl, not per request; the
 * bound keeps many distinct (or garbage) tokens from growing the operator's memory.
 */
final class ExpiringCache<K, V> {
  private record Entry<V>(V value, long expiresAtMillis) {}

  private final int maxEntries;
  private final long ttlMillis;
  private final Clock clock;
  private final LinkedHashMap<K, Entry<V>> entries;

  ExpiringCache(int maxEntries, Duration ttl, Clock clock) {
    this.maxEntries = maxEntries;
    this.ttlMillis = ttl.toMillis();
    this.clock = clock;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, Entry<V>> eldest) {
        return size() > ExpiringCache.this.maxEntries;
      }
    };
  }

  synchronized Optional<V> get(K key) {
    Entry<V> entry = entries.get(key);
    if (entry == null) {
      return Optional.empty();
    }
    if (clock.millis() >= entry.expiresAtMillis()) {
      entries.remove(key);
      return Optional.empty();
    }
    return Optional.of(entry.value());
  }

  synchronized void put(K key, V value) {
    entries.put(key, new Entry<>(value, clock.millis() + ttlMillis));
  }

  synchronized int size() {
    return entries.size();
  }
}
