package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.operator.bundle.BundledFiles;
import io.herologic.operator.kube.ContentAddressedConfigMaps;
import io.herologic.operator.kube.EventRecorder;
import io.herologic.operator.kube.Labels;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Publishes the Python SDK as an immutable ConfigMap in each namespace that runs Plays (a Pod can
 * only mount ConfigMaps of its own namespace). The name carries the SDK's digest, so an operator
 * upgrade publishes a new one and running Pods keep the SDK they started with.
 *
 * <p>The name is predictable, so anyone who may create ConfigMaps in a namespace could create it
 * first: a ConfigMap is used only when {@link ContentAddressedConfigMaps} verifies it (our label,
 * immutable, exactly the SDK's files). A squatter under the name gets a Warning Event on itself and
 * the SDK is published under a generated name next to it.
 */
@ApplicationScoped
public class SdkPublisher {
  private final KubernetesClient client;
  private final ContentAddressedConfigMaps configMaps;
  private final EventRecorder events;
  private final Map<String, String> files;
  private final String name;
  /** Each namespace's verified SDK ConfigMap, and when it was last seen to be there and verified. */
  private final Map<String, Known> published = new ConcurrentHashMap<>();
  /**
   * How long "it exists" is trusted. A namespace deleted and created again under the same name
   * (common in CI), or a ConfigMap someone deleted, is noticed within this time instead of never.
   */
  static final Duration TRUST = Duration.ofSeconds(10);

  private record Known(String name, Instant seen) {}

  public SdkPublisher(KubernetesClient client, ContentAddressedConfigMaps configMaps, EventRecorder events) {
    this.client = client;
    this.configMaps = configMaps;
    this.events = events;
    this.files = new LinkedHashMap<>();
    BundledFiles.python("herologic/sdk").forEach((file, bytes) -> files.put(file, new String(bytes, StandardCharsets.UTF_8)));
    this.name = "herologic-sdk-" + digest(files).substring(0, 12);
  }

  /** The name the SDK is published under, unless an unverified ConfigMap already holds it in a namespace. */
  public String configMapName() {
    return name;
  }

  /**
   * Makes sure a verified SDK ConfigMap exists in {@code namespace} and returns its name: at most
   * one read per namespace every few seconds, however many Plays launch at once.
   */
  public String ensure(String namespace) {
    Known known = published.get(namespace);
    if (known != null && known.seen().plus(TRUST).isAfter(Instant.now())) {
      return known.name();
    }
    // One thread looks again; the others go on with the name it is checking. Without this, every
    // Play launched in a burst when the trust ran out sent its own GET, and waited seconds for it.
    Known claimed = known == null ? null : new Known(known.name(), Instant.now());
    if (known != null && !published.replace(namespace, known, claimed)) {
      return published.getOrDefault(namespace, known).name();
    }
    try {
      return verifyOrPublish(namespace, known);
    } catch (RuntimeException e) {
      if (known != null) {
        published.replace(namespace, claimed, known); // not verified: the next launch looks again
      }
      throw e;
    }
  }

  private String verifyOrPublish(String namespace, Known known) {
    ConfigMap desired = desired(namespace);
    if (known != null) {
      ConfigMap current = client.configMaps().inNamespace(namespace).withName(known.name()).get();
      if (current != null && ContentAddressedConfigMaps.problem(current, desired).isEmpty()) {
        published.put(namespace, new Known(known.name(), Instant.now()));
        return known.name();
      }
    }
    var verified = configMaps.publish(desired);
    verified.squatter().ifPresent(squatter -> events.warning(squatter.configMap(), "UnverifiedConfigMap", squatter.describe()
        + ". It is not the hero-logic SDK and is never mounted: flow Pods in this namespace mount ConfigMap " + verified.name() + " instead."));
    published.put(namespace, new Known(verified.name(), Instant.now()));
    return verified.name();
  }

  /** The SDK ConfigMap exactly as published; verification compares what it finds with this. */
  ConfigMap desired(String namespace) {
    return new ConfigMapBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace)
          .withLabels(Map.of(Labels.MANAGED_BY, Labels.OPERATOR, Labels.ROLE, "sdk"))
        .endMetadata()
        .withImmutable(true)
        .withData(files)
        .build();
  }

  private static String digest(Map<String, String> files) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      files.forEach((file, text) -> {
        sha.update(file.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(text.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
      });
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
