package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.Play;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.export.TraceParent;
import io.herologic.operator.kube.EventRecorder;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Optional;

/**
 * Starts a resolved Play: one create, its Pod, which carries everything the flow reads (inputs
 * included, {@link PlayPodFactory#INPUTS_ANNOTATION}). The Pod's name is fixed by the Play (name
 * and uid) and the attempt, so launching twice is harmless: a 409 for a Pod this Play owns is its
 * own earlier create. A 409 for a Pod someone else owns is refused, never taken for the Play's own.
 *
 * <p>A 422 (the Pod is invalid) fails the Play: trying again sends the same Pod. A 403 does not:
 * like the Job controller, the Play waits and tries again ({@link Forbidden}). A 403 is often
 * passing: a namespace's ResourceQuota full until running Pods end, or an API server that has
 * just restarted and answers before its authorizer's caches are filled.
 */
@ApplicationScoped
public class PlayLauncher {
  /** How soon a Play whose Pod was refused with 403 tries again. */
  public static final Duration RETRY_FORBIDDEN = Duration.ofSeconds(10);
  private final KubernetesClient client;
  private final OperatorConfig config;
  private final SdkPublisher sdk;
  private final ServiceDiscovery discovery;
  private final EventRecorder events;

  public PlayLauncher(KubernetesClient client, OperatorConfig config, SdkPublisher sdk, ServiceDiscovery discovery, EventRecorder events) {
    this.client = client;
    this.config = config;
    this.sdk = sdk;
    this.discovery = discovery;
    this.events = events;
  }

  /**
   * The trace id of a Play about to launch: the one its {@value TraceParent#ANNOTATION} annotation
   * names when that is a valid W3C traceparent (a CI job's or a parent flow's trace goes on in this
   * Play, and its root span is exported under their span), else a fresh one. An invalid annotation
   * gets a Warning Event saying what is wrong, and the Play runs with a fresh trace.
   */
  public String traceIdFor(Play play) {
    Optional<String> annotation = TraceParent.annotation(play);
    if (annotation.isPresent()) {
      try {
        return TraceParent.parse(annotation.get()).traceId();
      } catch (IllegalArgumentException invalid) {
        events.warning(play, "InvalidTraceparent", "annotation " + TraceParent.ANNOTATION + " " + invalid.getMessage()
            + "; the Play runs with a fresh trace");
      }
    }
    return PlayStatuses.newTraceId();
  }

  /** Why a launch cannot go ahead; the Play fails with this reason and message. */
  public static final class Refused extends RuntimeException {
    private final String reason;

    Refused(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** The API server refused the Pod with 403 Forbidden; the Play waits and launches again later. */
  public static final class Forbidden extends RuntimeException {
    Forbidden(String message) {
      super(message);
    }
  }

  /** Creates the Pod of attempt {@code attempt}; returns it as the API server stored it. */
  public Pod launch(Play play, Resolution.Resolved resolved, String traceId, int attempt) {
    String namespace = play.getMetadata().getNamespace();
    String services = Boolean.TRUE.equals(resolved.workflow().getSpec().getDiscoverServices()) ? discovery.endpoints(namespace) : null;
    var inputs = new PlayPodFactory.Inputs(play, resolved.workflow(), resolved.version(), sdk.ensure(namespace), traceId, services, config, attempt);
    return createPod(play, PlayPodFactory.build(inputs));
  }

  private Pod createPod(Play play, Pod pod) {
    String name = pod.getMetadata().getName();
    try {
      return client.resource(pod).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        Pod found = client.pods().inNamespace(play.getMetadata().getNamespace()).withName(name).get();
        if (found == null) {
          throw e; // gone again in between: the retry creates it
        }
        if (ownedBy(found, play)) {
          return found; // our own earlier create
        }
        throw new Refused("PodNameTaken", "a Pod named " + name + " already exists in namespace "
            + play.getMetadata().getNamespace() + " and does not belong to this Play; it is never used for it");
      }
      String said = e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
      if (e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
        throw new Forbidden("the API server refuses the flow Pod for now (403 Forbidden), tried again every "
            + RETRY_FORBIDDEN.toSeconds() + " s: " + said);
      }
      if (e.getCode() == 422) {
        throw new Refused("PodRejected", "the API server refused the flow Pod: " + said);
      }
      throw e;
    }
  }

  static boolean ownedBy(HasMetadata object, Play play) {
    var owners = object.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(o -> Boolean.TRUE.equals(o.getController())
        && play.getMetadata().getUid().equals(o.getUid()));
  }
}
