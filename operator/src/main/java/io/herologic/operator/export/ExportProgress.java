package io.herologic.operator.export;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.herologic.model.Play;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * How far each Play's spans were exported, kept in the Play's {@value #ANNOTATION} annotation as the
 * number of the log line up to which every finished span was accepted by the collector (or given
 * up on). A log follower starting after an operator restart reads the log from its first line
 * again; its spans that finished at or before that line are not exported a second time.
 *
 * <p>The annotation is written at most every {@link #WRITE_EVERY} per Play, and on shutdown. So a
 * span is exported twice only when the operator dies without shutting down (SIGKILL, OOM) within
 * {@link #WRITE_EVERY} of the collector accepting it; a span still queued when it dies is sent by
 * the successor, not lost.
 */
final class ExportProgress implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ExportProgress.class);
  static final String ANNOTATION = "herologic.io/otlp-exported-lines";
  static final Duration WRITE_EVERY = Duration.ofSeconds(2);

  private final KubernetesClient client;
  /** Only Plays with progress not yet written: bounded by the Plays exporting in the last few seconds. */
  private final Map<ResourceID, Long> unwritten = new ConcurrentHashMap<>();
  private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "otlp-progress");
    t.setDaemon(true);
    return t;
  });

  ExportProgress(KubernetesClient client) {
    this.client = client;
    writer.scheduleWithFixedDelay(this::writeAll, WRITE_EVERY.toMillis(), WRITE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The line through which an earlier operator process exported this Play's spans; 0 when none did. */
  static long exportedThroughLine(Play play) {
    var annotations = play.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(ANNOTATION);
    try {
      return value == null ? 0 : Math.max(0, Long.parseLong(value.strip()));
    } catch (NumberFormatException e) {
      return 0; // not ours to trust: exporting again is better than losing spans
    }
  }

  /** The collector accepted these spans (or they were given up on): move each Play's mark forward. */
  void exported(Collection<SpanData> spans) {
    for (SpanData s : spans) {
      String namespace = s.getResource().getAttribute(PlayTraceContext.NAMESPACE);
      String play = s.getResource().getAttribute(PlayTraceContext.PLAY);
      Long line = s.getAttributes().get(SpanMapping.LOG_LINE);
      if (namespace != null && play != null && line != null) {
        unwritten.merge(new ResourceID(play, namespace), line, Math::max);
      }
    }
  }

  void writeAll() {
    for (ResourceID play : unwritten.keySet()) {
      Long line = unwritten.remove(play);
      if (line != null) {
        write(play, line);
      }
    }
  }

  private void write(ResourceID play, long line) {
    String patch = "{\"metadata\":{\"annotations\":{\"" + ANNOTATION + "\":\"" + line + "\"}}}";
    try {
      client.resources(Play.class).inNamespace(play.getNamespace().orElseThrow()).withName(play.getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) { // a deleted Play needs no mark
        LOG.debugf("could not record OTLP export progress of %s: %s", play, e.getMessage());
        unwritten.merge(play, line, Math::max); // next time
      }
    }
  }

  @Override
  public void close() {
    writer.shutdownNow();
    writeAll();
  }
}
