package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Kubernetes Events for what a person running `kubectl describe` should see.
 *
 * <p>Recording never makes a reconcile wait for the API server: Events go to one sender thread, at
 * most {@link #MAX_WAITING} of them waiting (beyond that they are dropped and counted in
 * {@code herologic_events_dropped_total}; Kubernetes treats Events as best-effort too).
 *
 * <p>A Normal Event recorded with {@link #normalHeld} waits up to {@link #HOLD} before it is sent.
 * If another Event about the same object comes in that time, the two are sent as one, the later
 * one's reason first with the held one's message after it: a Play that runs for a second gets one
 * "Succeeded" Event that also says where it started, not a "Started" and a "Succeeded" (one write
 * instead of two for the common case; a long Play still gets both).
 */
@ApplicationScoped
public class EventRecorder {
  private static final Logger LOG = Logger.getLogger(EventRecorder.class);
  static final Duration HOLD = Duration.ofSeconds(5);
  static final int MAX_WAITING = 10_000;
  private static final int MAX_MESSAGE = 1024;

  private final KubernetesClient client;
  private final Counter dropped;
  private final ScheduledThreadPoolExecutor sender = sender();
  private final AtomicInteger waiting = new AtomicInteger();
  /** Held Events by the object they are about; read and written on the sender thread only. */
  private final Map<String, Held> held = new HashMap<>();

  private record Held(Event event, ScheduledFuture<?> due) {}

  public EventRecorder(KubernetesClient client, MeterRegistry registry) {
    this.client = client;
    this.dropped = Counter.builder("herologic_events_dropped").description("Kubernetes Events not recorded because too many were waiting to be sent")
        .register(registry);
  }

  private static ScheduledThreadPoolExecutor sender() {
    ScheduledThreadPoolExecutor sender = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "events");
      t.setDaemon(true);
      return t;
    });
    sender.setRemoveOnCancelPolicy(true); // a held Event taken in by a later one leaves no timer behind
    return sender;
  }

  public void normal(HasMetadata about, String reason, String message) {
    record(about, "Normal", reason, message, false);
  }

  /** A Normal Event that the next Event about the same object within {@link #HOLD} takes in (see the class comment). */
  public void normalHeld(HasMetadata about, String reason, String message) {
    record(about, "Normal", reason, message, true);
  }

  public void warning(HasMetadata about, String reason, String message) {
    record(about, "Warning", reason, message, false);
  }

  private void record(HasMetadata about, String type, String reason, String message, boolean hold) {
    Event event = build(about, type, reason, message);
    String key = about.getMetadata().getUid() != null ? about.getMetadata().getUid()
        : about.getKind() + "/" + about.getMetadata().getNamespace() + "/" + about.getMetadata().getName();
    if (waiting.incrementAndGet() > MAX_WAITING) {
      waiting.decrementAndGet();
      dropped.increment();
      return;
    }
    try {
      sender.execute(() -> {
        try {
          deliver(key, event, hold);
        } finally {
          waiting.decrementAndGet();
        }
      });
    } catch (RejectedExecutionException shuttingDown) {
      waiting.decrementAndGet();
    }
  }

  /** On the sender thread: folds a held Event into this one, then sends this one or holds it. */
  private void deliver(String key, Event event, boolean hold) {
    Held earlier = held.remove(key);
    Event toSend = event;
    if (earlier != null) {
      earlier.due().cancel(false);
      if (hold) {
        send(earlier.event()); // two held in a row: the first goes as it was
      } else {
        toSend = folded(event, earlier.event());
      }
    }
    if (hold) {
      held.put(key, new Held(toSend, sender.schedule(() -> sendHeld(key), HOLD.toMillis(), TimeUnit.MILLISECONDS)));
    } else {
      send(toSend);
    }
  }

  private void sendHeld(String key) {
    Held h = held.remove(key);
    if (h != null) {
      send(h.event());
    }
  }

  /** {@code later}, with {@code earlier}'s reason and message after its own; the first timestamp is the earlier one's. */
  static Event folded(Event later, Event earlier) {
    String message = later.getMessage() + " (" + earlier.getReason() + " " + earlier.getFirstTimestamp() + ": " + earlier.getMessage() + ")";
    return new EventBuilder(later).withMessage(cut(message)).withFirstTimestamp(earlier.getFirstTimestamp()).build();
  }

  private void send(Event event) {
    try {
      client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      // An Event is for people watching; failing to record one must not fail anything else.
      LOG.debugf("could not record event %s on %s: %s", event.getReason(), event.getInvolvedObject().getName(), e.getMessage());
    }
  }

  private static Event build(HasMetadata about, String type, String reason, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    return new EventBuilder()
        .withNewMetadata()
          .withName(about.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
          .withNamespace(about.getMetadata().getNamespace())
        .endMetadata()
        .withInvolvedObject(new ObjectReferenceBuilder()
            .withApiVersion(about.getApiVersion()).withKind(about.getKind())
            .withName(about.getMetadata().getName()).withNamespace(about.getMetadata().getNamespace())
            .withUid(about.getMetadata().getUid()).build())
        .withType(type).withReason(reason).withMessage(cut(message))
        .withNewSource().withComponent("hero-logic").endSource()
        .withReportingComponent("hero-logic").withReportingInstance(hostname())
        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
        .build();
  }

  private static String cut(String message) {
    return message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message;
  }

  private static String hostname() {
    String h = System.getenv("HOSTNAME");
    return h == null ? "hero-logic" : h;
  }

  /**
   * Sends what waits and what is held (for a few seconds at most), so a stopping operator loses none
   * it could send. The flush runs after everything recorded before it (one thread, in order), and
   * the sender stops only once it ran: a held Event never meets a stopped sender.
   */
  @PreDestroy
  void close() {
    try {
      sender.submit(() -> {
        held.values().forEach(h -> {
          h.due().cancel(false);
          send(h.event());
        });
        held.clear();
      }).get(5, TimeUnit.SECONDS);
    } catch (RejectedExecutionException | ExecutionException | TimeoutException e) {
      LOG.debugf("Events still held at shutdown may be lost: %s", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.shutdownNow();
  }
}
