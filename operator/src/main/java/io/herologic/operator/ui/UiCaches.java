package io.herologic.operator.ui;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.herologic.model.Play;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;

/**
 * The informer caches the reconcilers already keep, read by the UI: the primary cache of the
 * "play", "workflow" and "workflowversion" controllers, and the ConfigMap cache of the
 * "workflowversion" controller. Serving a page costs the API server nothing.
 *
 * <p>The objects returned are the cache's own: read them, never change them.
 */
@ApplicationScoped
public class UiCaches {
  static final String PLAY = "play";
  static final String WORKFLOW = "workflow";
  static final String WORKFLOW_VERSION = "workflowversion";

  private final Operator operator;

  public UiCaches(Operator operator) {
    this.operator = operator;
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

  public Optional<Play> play(String namespace, String name) {
    return this.<Play>primary(PLAY).get(new ResourceID(name, namespace));
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
