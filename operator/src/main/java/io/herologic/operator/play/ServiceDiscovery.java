package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.operator.kube.Labels;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Services a Workflow with {@code discoverServices} is handed at launch, so its flow finds them
 * without an API token of its own (the built-in agent's model-written code then has no token to
 * steal). The URL rule is the one the SDK applies in local mode (flows/builtin/service_agent_v3.py,
 * {@code service_url}): the {@code herologic.io/rpc-url} annotation, else
 * {@code http://<name>.<namespace>.svc:<first port><herologic.io/rpc-path or /rpc>}.
 */
@ApplicationScoped
public class ServiceDiscovery {
  static final String URL_ANNOTATION = "herologic.io/rpc-url";
  static final String PATH_ANNOTATION = "herologic.io/rpc-path";

  private final KubernetesClient client;

  public ServiceDiscovery(KubernetesClient client) {
    this.client = client;
  }

  /** {@code name=url,name=url} (the format of HEROLOGIC_SERVICES); empty when nothing is discoverable. */
  public String endpoints(String namespace) {
    List<Service> services = client.services().inNamespace(namespace).withLabel(Labels.DISCOVER, "true").list().getItems();
    return format(services, namespace);
  }

  static String format(List<Service> services, String namespace) {
    StringBuilder out = new StringBuilder();
    services.stream().sorted(Comparator.comparing(s -> s.getMetadata().getName())).forEach(service ->
        url(service, namespace).ifPresent(url -> {
          if (out.length() > 0) {
            out.append(',');
          }
          out.append(service.getMetadata().getName()).append('=').append(url);
        }));
    return out.toString();
  }

  static Optional<String> url(Service service, String namespace) {
    Map<String, String> annotations = service.getMetadata().getAnnotations() == null ? Map.of() : service.getMetadata().getAnnotations();
    String explicit = annotations.get(URL_ANNOTATION);
    if (explicit != null && !explicit.isBlank()) {
      String url = explicit.strip();
      // A URL with a comma would split the list the flow receives; such a Service is skipped.
      return url.contains(",") || !(url.startsWith("http://") || url.startsWith("https://")) ? Optional.empty() : Optional.of(url);
    }
    List<ServicePort> ports = service.getSpec() == null ? null : service.getSpec().getPorts();
    if (ports == null || ports.isEmpty() || ports.get(0).getPort() == null) {
      return Optional.empty();
    }
    String path = annotations.getOrDefault(PATH_ANNOTATION, "/rpc").strip();
    if (!path.startsWith("/")) {
      path = "/" + path;
    }
    if (path.contains(",")) {
      return Optional.empty();
    }
    return Optional.of("http://" + service.getMetadata().getName() + "." + namespace + ".svc:" + ports.get(0).getPort() + path);
  }
}
