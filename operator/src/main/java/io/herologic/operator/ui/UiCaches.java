package io.herologic.operator.ui;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.Play;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.play.FinishedPlayStore;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The informer caches the reconcilers already keep, read by the UI: the primary cache of the
 * "play", "workflow" and "workflowversion" controllers, and the ConfigMap cache of the
 * "workflowversion" controller. Serving a page costs the API server nothing.
 *
 * <p>The objects returned are the cache's own: read them, never change them.
 *
 * <p>One exception to "costs nothing": the informer keeps finished Plays without their spans
 * ({@link FinishedPlayStore}), so {@link #play} reads a finished Play whole from the API server,
 * and keeps what it read for a few seconds (a page polling a finished Play, or a few people looking
 * at it, cost one GET per {@link #DETAIL_TTL}). At most {@link #DETAIL_ENTRIES} are kept: a Play at
 * the status budget (2,000 spans) is about 1.7 MB of heap, so about 30 MB at worst.
 */
@ApplicationScoped
public class UiCaches {
  static final String PLAY = "play";
  static final String WORKFLOW = "workflow";
  static final String WORKFLOW_VERSION = "workflowversion";

  static final Duration DETAIL_TTL = Duration.ofSeconds(10);
  static final int DETAIL_ENTRIES = 16;

  private final Operator operator;
  private final KubernetesClient client;
  /** Whole finished Plays read from the API server, by namespace, name and resourceVersion. */
  private final ExpiringCache<PlayVersion, Play> finishedPlays = new ExpiringCache<>(DETAIL_ENTRIES, DETAIL_TTL, Clock.systemUTC());

  private record PlayVersion(String namespace, String name, String resourceVersion) {}

  public UiCaches(Operator operator, KubernetesClient client) {
    this.operator = operator;
    this.client = client;
  }

  /** Thrown while the operator has not registered or started a controller: the API answers 503. */
  public static final class NotReady extends RuntimeException {
    NotReady(String message) {
      super(message);
    }
  }

  public List<Play> plays(String namespace) {
    return list(this.<Play>primary(PLAY), namespace);
  }

  /** A Play whole, spans included: from the cache, or for a finished Play from the API server. */
  public Optional<Play> play(String namespace, String name) {
    Optional<Play> cached = this.<Play>primary(PLAY).get(new ResourceID(name, namespace));
    if (cached.isEmpty() || !FinishedPlayStore.isTrimmed(cached.get())) {
      return cached;
    }
    PlayVersion key = new PlayVersion(namespace, name, cached.get().getMetadata().getResourceVersion());
    Optional<Play> known = finishedPlays.get(key);
    if (known.isPresent()) {
      return known;
    }
    Play whole;
    try {
      whole = client.resources(Play.class).inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw new NotReady("could not read finished Play " + namespace + "/" + name + " from the API server: " + e.getMessage());
    }
    if (whole == null) {
      return Optional.empty(); // deleted since the cache saw it
    }
    finishedPlays.put(key, whole);
    return Optional.of(whole);
  }

  public List<Workflow> workflows(String namespace) {
    return list(this.<Workflow>primary(WORKFLOW), namespace);
  }

  public Optional<Workflow> workflow(String namespace, String name) {
    return this.<Workflow>primary(WORKFLOW).get(new ResourceID(name, namespace));
  }

  public List<WorkflowVersion> versions(String namespace) {
    return list(this.<WorkflowVersion>primary(WORKFLOW_VERSION), namespace);
  }

  public Optional<WorkflowVersion> version(String namespace, String name) {
    return this.<WorkflowVersion>primary(WORKFLOW_VERSION).get(new ResourceID(name, namespace));
  }

  /**
   * A ConfigMap from the workflowversion controller's ConfigMap informer (it watches the
   * ConfigMaps versions read their source from); empty when that cache does not hold it.
   */
  @SuppressWarnings("unchecked")
  public Optional<ConfigMap> configMap(String namespace, String name) {
    var sources = controller(WORKFLOW_VERSION).getEventSourceManager().getEventSourcesFor(ConfigMap.class);
    for (var source : sources) {
      if (source instanceof Cache<?> cache) {
        Optional<ConfigMap> found = ((Cache<ConfigMap>) cache).get(new ResourceID(name, namespace));
        if (found.isPresent()) {
          return found;
        }
      }
    }
    return Optional.empty();
  }

  private static <T extends HasMetadata> List<T> list(IndexedResourceCache<T> cache, String namespace) {
    return (namespace == null ? cache.list() : cache.list(namespace)).toList();
  }

  /** The controller's own informer over its primary resources (ControllerEventSource). */
  @SuppressWarnings("unchecked")
  private <T extends HasMetadata> IndexedResourceCache<T> primary(String controllerName) {
    return (IndexedResourceCache<T>) controller(controllerName).getEventSourceManager().getControllerEventSource();
  }

  private Controller<?> controller(String name) {
    var registered = operator.getRegisteredController(name)
        .orElseThrow(() -> new NotReady("the " + name + " controller is not registered (yet)"));
    if (!(registered instanceof Controller<?> controller)) {
      throw new IllegalStateException("the " + name + " controller is a " + registered.getClass().getName() + ", not a JOSDK Controller");
    }
    if (controller.getEventSourceManager().getControllerEventSource() == null) {
      throw new NotReady("the " + name + " controller has not started");
    }
    return controller;
  }
}
