package io.herologic.operator.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Events are sent off the caller's thread, and a held Normal Event is folded into the next Event
 * about the same object: one write instead of two, nothing said lost. Against the real API server.
 */
@DevClusterTest
class EventRecorderIT {

  @Test
  void aHeldEventFoldsIntoTheNextAboutTheSameObjectAndGoesAloneWhenNoneFollows(KubernetesClient client, TestNamespace namespace)
      throws Exception {
    String ns = namespace.name();
    ConfigMap first = object(client, ns, "first");
    ConfigMap second = object(client, ns, "second");
    EventRecorder events = new EventRecorder(client, new SimpleMeterRegistry());
    try {
      events.normalHeld(first, "Started", "started in Pod first-1");
      events.normalHeld(second, "Started", "started in Pod second-1");
      events.normal(first, "Succeeded", "succeeded in 0.8s");

      List<Event> firstEvents = Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> eventsAbout(client, ns, "first"), l -> !l.isEmpty());
      // The other object's held Event is not sent yet: nothing followed it, and its hold has not passed.
      assertEquals(List.of(), eventsAbout(client, ns, "second"), "a held Event waits for its hold");
      Thread.sleep(1000); // anything else about "first" would have been sent by now
      firstEvents = eventsAbout(client, ns, "first");
      assertEquals(1, firstEvents.size(), "Started and Succeeded of one object are one Event: " + firstEvents);
      Event folded = firstEvents.get(0);
      assertEquals("Succeeded", folded.getReason());
      assertEquals("Normal", folded.getType());
      assertTrue(folded.getMessage().startsWith("succeeded in 0.8s (Started "), folded.getMessage());
      assertTrue(folded.getMessage().endsWith(": started in Pod first-1)"), folded.getMessage());

      List<Event> secondEvents = Awaitility.await().atMost(EventRecorder.HOLD.plusSeconds(10))
          .until(() -> eventsAbout(client, ns, "second"), l -> !l.isEmpty());
      assertEquals(1, secondEvents.size(), secondEvents.toString());
      assertEquals("Started", secondEvents.get(0).getReason());
      assertEquals("started in Pod second-1", secondEvents.get(0).getMessage());

      // Not held: two Events about one object stay two, in order.
      events.warning(first, "Retrying", "attempt 1 failed");
      events.normal(first, "Waiting", "waits for its version");
      List<String> reasons = Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> eventsAbout(client, ns, "first").stream().map(Event::getReason).toList(), r -> r.size() == 3);
      assertEquals(List.of("Succeeded", "Retrying", "Waiting"), reasons);
    } finally {
      events.close();
    }
  }

  @Test
  void aStoppingRecorderSendsWhatItHolds(KubernetesClient client, TestNamespace namespace) {
    String ns = namespace.name();
    ConfigMap object = object(client, ns, "held");
    EventRecorder events = new EventRecorder(client, new SimpleMeterRegistry());
    events.normalHeld(object, "Started", "started in Pod held-1");
    events.close();
    List<Event> sent = eventsAbout(client, ns, "held");
    assertEquals(1, sent.size(), "close() sends the held Event at once: " + sent);
    assertEquals("Started", sent.get(0).getReason());
  }

  private static ConfigMap object(KubernetesClient client, String ns, String name) {
    return client.resource(new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata().build()).create();
  }

  private static List<Event> eventsAbout(KubernetesClient client, String ns, String name) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .sorted(Comparator.comparing(Event::getFirstTimestamp).thenComparing(e -> e.getMetadata().getCreationTimestamp())
            .thenComparing(e -> e.getMetadata().getResourceVersion().length()).thenComparing(e -> e.getMetadata().getResourceVersion()))
        .toList();
  }
}
