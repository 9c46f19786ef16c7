package io.herologic.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.herologic.model.Play;
import io.herologic.model.Span;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Span end → status latency: for every span of every Play in a namespace, when the flow ended it and
 * when a watch of the API server first delivered the Play with that span ended in its status.
 *
 * <p>The end is the flow's own record, {@code startTime + durationMs} (both from the runner's
 * {@code time.time()}, to the millisecond); the arrival is this JVM's wall clock when the informer's
 * handler ran. devcluster's Pods are processes on this machine, so both read the same clock.
 */
final class SpanArrivals implements AutoCloseable {
  /**
   * One ended span as first seen: wall-clock milliseconds since the epoch. {@code writtenAtMs} is
   * the API server's own time of the last status write it was seen in (managedFields, whole
   * seconds, truncated), null if the Play carried none: it tells the operator's delay apart from
   * the watch's and this benchmark's.
   */
  record Arrival(String play, String spanId, String name, double endedAtMs, double seenAtMs, Double writtenAtMs) {
    double latencyMs() {
      return seenAtMs - endedAtMs;
    }

    Double writtenMs() {
      return writtenAtMs == null ? null : writtenAtMs - endedAtMs;
    }
  }

  private final Map<String, Arrival> byPlayAndSpan = new ConcurrentHashMap<>();
  private final SharedIndexInformer<Play> plays;

  SpanArrivals(KubernetesClient client, String namespace) {
    plays = client.resources(Play.class).inNamespace(namespace).inform(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Play play) {
        record(play, nowMs());
      }

      @Override
      public void onUpdate(Play old, Play play) {
        record(play, nowMs());
      }

      @Override
      public void onDelete(Play play, boolean unknown) {}
    }, 0);
  }

  private void record(Play play, double seenAtMs) {
    for (Arrival a : ended(play, seenAtMs)) {
      byPlayAndSpan.putIfAbsent(a.play() + "/" + a.spanId(), a);
    }
  }

  /** The spans of the Play's status that have ended (they carry a duration), as if first seen at {@code seenAtMs}. */
  static List<Arrival> ended(Play play, double seenAtMs) {
    List<Arrival> list = new ArrayList<>();
    if (play.getStatus() == null || play.getStatus().getSpans() == null) {
      return list;
    }
    Double writtenAtMs = play.getMetadata().getManagedFields() == null ? null : play.getMetadata().getManagedFields().stream()
        .filter(f -> "status".equals(f.getSubresource()) && f.getTime() != null)
        .map(f -> (double) Instant.parse(f.getTime()).toEpochMilli()).max(Double::compare).orElse(null);
    String traceStart = play.getStatus().getTraceStartTime();
    for (Span span : play.getStatus().getSpans()) {
      if (span.getDurationMs() == null || span.getStartOffsetMs() == null || traceStart == null || span.getId() == null) {
        continue; // still running
      }
      // status.traceStartTime + startOffsetMs is the span's start (the compact span list, README "Status budget")
      double endedAtMs = Instant.parse(traceStart).toEpochMilli() + span.getStartOffsetMs() + span.getDurationMs();
      list.add(new Arrival(play.getMetadata().getName(), span.getId(), span.getName(), endedAtMs, seenAtMs, writtenAtMs));
    }
    return list;
  }

  private static double nowMs() {
    Instant now = Instant.now(); // microseconds on Linux
    return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
  }

  /** Every ended span seen so far, of the given Plays. */
  List<Arrival> of(java.util.Collection<String> playNames) {
    java.util.Set<String> wanted = new java.util.HashSet<>(playNames);
    List<Arrival> list = new ArrayList<>();
    for (Arrival a : byPlayAndSpan.values()) {
      if (wanted.contains(a.play())) {
        list.add(a);
      }
    }
    return list;
  }

  @Override
  public void close() {
    plays.close();
  }
}
