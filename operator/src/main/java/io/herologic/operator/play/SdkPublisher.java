package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.operator.bundle.BundledFiles;
import io.herologic.operator.kube.Labels;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.HttpURLConnection;
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
 */
@ApplicationScoped
public class SdkPublisher {
  private final KubernetesClient client;
  private final Map<String, String> files;
  private final String name;
  /** When each namespace's SDK ConfigMap was last known to exist. */
  private final Map<String, Instant> published = new ConcurrentHashMap<>();
  /**
   * How long "it exists" is trusted. A namespace deleted and created again under the same name
   * (common in CI), or a ConfigMap someone deleted, is noticed within this time instead of never.
   */
  static final Duration TRUST = Duration.ofSeconds(10);

  public SdkPublisher(KubernetesClient client) {
    this.client = client;
    this.files = new LinkedHashMap<>();
    BundledFiles.python("herologic/sdk").forEach((file, bytes) -> files.put(file, new String(bytes, StandardCharsets.UTF_8)));
    this.name = "herologic-sdk-" + digest(files).substring(0, 12);
  }

  public String configMapName() {
    return name;
  }

  /** Makes sure the SDK ConfigMap exists in {@code namespace}: at most one read per namespace every few seconds. */
  public String ensure(String namespace) {
    Instant known = published.get(namespace);
    if (known != null && known.plus(TRUST).isAfter(Instant.now())) {
      return name;
    }
    if (known != null && client.configMaps().inNamespace(namespace).withName(name).get() != null) {
      published.put(namespace, Instant.now());
      return name;
    }
    var cm = new ConfigMapBuilder()
        .withNewMetadata().withName(name).withNamespace(namespace)
          .withLabels(Map.of(Labels.MANAGED_BY, Labels.OPERATOR, Labels.ROLE, "sdk"))
        .endMetadata()
        .withImmutable(true)
        .withData(files)
        .build();
    try {
      client.configMaps().inNamespace(namespace).resource(cm).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
    published.put(namespace, Instant.now());
    return name;
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
