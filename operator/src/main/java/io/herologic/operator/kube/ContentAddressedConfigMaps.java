package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.ApiGroup;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Publishes immutable ConfigMaps whose name promises their content (a digest in the name: flow
 * sources, the SDK, the built-in sources) and hands out only ones whose content is verified.
 *
 * <p>Anyone who may create ConfigMaps in a namespace can create one under such a name first. So a
 * ConfigMap is used only when it is immutable, carries the same {@code app.kubernetes.io/managed-by}
 * label as the one the operator would publish, and its {@link ContentDigest} equals that one's.
 * When the preferred name is held by anything else (the "squatter"), the squatter is reported and
 * never used: a verified copy published earlier under a generated name ({@code <name>-xxxxx}, found
 * by the {@link #CONTENT_DIGEST} label) is reused, else a new one is created with
 * {@code generateName}. The API server picks that name, so no object planted in advance can take it,
 * and a squatter never makes anything permanently unusable. The operator has no {@code delete} on
 * ConfigMaps and needs none: squatters are left for a person to remove.
 */
@ApplicationScoped
public class ContentAddressedConfigMaps {
  /** The content digest (hex, truncated to a label value) of every ConfigMap published here, to find copies. */
  public static final String CONTENT_DIGEST = ApiGroup.GROUP + "/content-digest";

  private final KubernetesClient client;

  public ContentAddressedConfigMaps(KubernetesClient client) {
    this.client = client;
  }

  /** An object that holds the name a content-addressed ConfigMap should have, and why it is not that ConfigMap. */
  public record Squatter(ConfigMap configMap, String problem) {
    public String describe() {
      return "ConfigMap " + configMap.getMetadata().getName() + " " + problem;
    }
  }

  /** The verified ConfigMap to mount, and the squatter found under its preferred name, if there was one. */
  public record Published(ConfigMap configMap, Optional<Squatter> squatter) {
    public String name() {
      return configMap.getMetadata().getName();
    }
  }

  /**
   * Why {@code found} is not the ConfigMap {@code desired} describes, or empty when it is: same
   * managed-by label, immutable, not being deleted, and the same content to the byte.
   */
  public static Optional<String> problem(ConfigMap found, ConfigMap desired) {
    List<String> problems = new ArrayList<>();
    String wantedManager = label(desired, Labels.MANAGED_BY);
    String manager = label(found, Labels.MANAGED_BY);
    if (!Objects.equals(wantedManager, manager)) {
      problems.add("is labelled " + Labels.MANAGED_BY + "=" + (manager == null ? "(none)" : manager) + ", not " + wantedManager);
    }
    if (!Boolean.TRUE.equals(found.getImmutable())) {
      problems.add("is not immutable");
    }
    if (found.getMetadata().getDeletionTimestamp() != null) {
      problems.add("is being deleted");
    }
    String content = ContentDigest.of(found);
    String wanted = ContentDigest.of(desired);
    if (!content.equals(wanted)) {
      problems.add("holds content " + content + ", not " + wanted);
    }
    return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
  }

  /** Makes sure a verified copy of {@code desired} exists in its namespace; returns it (created or found). */
  public Published publish(ConfigMap desired) {
    ConfigMap labelled = withContentLabel(desired);
    String namespace = desired.getMetadata().getNamespace();
    String name = desired.getMetadata().getName();
    var resource = client.configMaps().inNamespace(namespace).withName(name);
    ConfigMap existing = resource.get();
    if (existing == null) {
      try {
        return new Published(client.configMaps().inNamespace(namespace).resource(labelled).create(), Optional.empty());
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        existing = resource.get(); // created by someone else just now: judge it like any other
      }
    }
    if (existing == null) {
      throw new IllegalStateException("ConfigMap " + namespace + "/" + name + " was reported to exist but cannot be read");
    }
    Optional<String> problem = problem(existing, desired);
    if (problem.isEmpty()) {
      return new Published(existing, Optional.empty());
    }
    Optional<Squatter> squatter = Optional.of(new Squatter(existing, problem.get()));
    return new Published(verifiedCopy(labelled).orElseGet(() -> createUnderGeneratedName(labelled)), squatter);
  }

  /** A verified copy published earlier under a generated name; the oldest name first, so every caller picks the same one. */
  private Optional<ConfigMap> verifiedCopy(ConfigMap labelled) {
    Map<String, String> labels = labelled.getMetadata().getLabels();
    return client.configMaps().inNamespace(labelled.getMetadata().getNamespace())
        .withLabel(Labels.MANAGED_BY, labels.get(Labels.MANAGED_BY))
        .withLabel(CONTENT_DIGEST, labels.get(CONTENT_DIGEST))
        .list().getItems().stream()
        .filter(cm -> cm.getMetadata().getName().startsWith(labelled.getMetadata().getName() + "-"))
        .filter(cm -> problem(cm, labelled).isEmpty())
        .min(Comparator.comparing((ConfigMap cm) -> cm.getMetadata().getCreationTimestamp()).thenComparing(cm -> cm.getMetadata().getName()));
  }

  private ConfigMap createUnderGeneratedName(ConfigMap labelled) {
    ConfigMap generated = new ConfigMapBuilder(labelled).editMetadata()
        .withName(null).withGenerateName(labelled.getMetadata().getName() + "-")
        .endMetadata().build();
    return client.configMaps().inNamespace(labelled.getMetadata().getNamespace()).resource(generated).create();
  }

  static ConfigMap withContentLabel(ConfigMap desired) {
    String hex = ContentDigest.of(desired).substring("sha256:".length());
    // A label value holds 63 of the 64 hex digits: plenty to find a copy, which is verified anyway.
    return new ConfigMapBuilder(desired).editMetadata().addToLabels(CONTENT_DIGEST, hex.substring(0, 63)).endMetadata().build();
  }

  private static String label(ConfigMap configMap, String key) {
    Map<String, String> labels = configMap.getMetadata() == null ? null : configMap.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }
}
