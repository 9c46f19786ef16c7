package io.herologic.operator.ui;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.version.WorkflowVersionReconciler;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The Python source of a WorkflowVersion, for reading in the UI.
 *
 * <p>An inline source is in the version itself (from the cache). A source from a ConfigMap is
 * shown as the operator published it: the immutable ConfigMap named after its digest
 * ({@code status.sourceConfigMap}, key {@code flow.py}), which is what Pods run. That ConfigMap is
 * read from the workflowversion controller's ConfigMap cache when it holds it, else fetched once;
 * either way the text is checked against the digest and kept by digest, since those bytes can
 * never change.
 */
@ApplicationScoped
public class FlowSources {
  private static final Logger LOG = Logger.getLogger(FlowSources.class);
  /** Remembered sources are at most this many characters in all (sources are at most 512 KiB each). */
  static final long MAX_REMEMBERED_CHARS = 8L * 1024 * 1024;
  /** A ConfigMap not found is not asked for again before this. */
  static final Duration RETRY_MISSING_AFTER = Duration.ofSeconds(30);

  private final UiCaches caches;
  private final KubernetesClient client;
  private final Map<String, String> byDigest = new LinkedHashMap<>(16, 0.75f, true);
  private final Map<String, Long> missingSince = new LinkedHashMap<>();
  private long rememberedChars;

  public FlowSources(UiCaches caches, KubernetesClient client) {
    this.caches = caches;
    this.client = client;
  }

  /** The source, or why there is none to show. */
  public sealed interface Result permits Found, Unavailable {}

  public record Found(String text, String digest) implements Result {}

  public record Unavailable(String reason) implements Result {}

  public Result source(WorkflowVersion version) {
    if (version.getSpec().getSource() != null) {
      String text = version.getSpec().getSource();
      return new Found(text, new FlowSource(text.getBytes(StandardCharsets.UTF_8)).digest());
    }
    var status = version.getStatus();
    if (status == null || status.getSourceConfigMap() == null || status.getDigest() == null) {
      return new Unavailable("the operator has not published this version's source yet"
          + readyMessage(version).map(m -> ": " + m).orElse(""));
    }
    String digest = status.getDigest();
    String remembered = remembered(digest);
    if (remembered != null) {
      return new Found(remembered, digest);
    }
    String namespace = version.getMetadata().getNamespace();
    Optional<ConfigMap> configMap = caches.configMap(namespace, status.getSourceConfigMap());
    if (configMap.isEmpty()) {
      configMap = fetchOnce(namespace, status.getSourceConfigMap(), digest);
    }
    if (configMap.isEmpty()) {
      return new Unavailable("ConfigMap " + status.getSourceConfigMap() + " is missing");
    }
    return decode(configMap.get(), digest);
  }

  private Result decode(ConfigMap configMap, String digest) {
    String key = FlowSource.FILE_NAME;
    byte[] bytes;
    if (configMap.getBinaryData() != null && configMap.getBinaryData().containsKey(key)) {
      try {
        bytes = Base64.getDecoder().decode(configMap.getBinaryData().get(key));
      } catch (IllegalArgumentException e) {
        return new Unavailable("ConfigMap " + configMap.getMetadata().getName() + ": binaryData " + key + " is not base64");
      }
    } else if (configMap.getData() != null && configMap.getData().containsKey(key)) {
      bytes = configMap.getData().get(key).getBytes(StandardCharsets.UTF_8);
    } else {
      return new Unavailable("ConfigMap " + configMap.getMetadata().getName() + " has no key " + key);
    }
    FlowSource source = new FlowSource(bytes);
    if (!digest.equals(source.digest())) {
      return new Unavailable("ConfigMap " + configMap.getMetadata().getName() + " holds " + source.digest() + ", not " + digest);
    }
    try {
      String text = source.text();
      remember(digest, text);
      return new Found(text, digest);
    } catch (CharacterCodingException e) {
      return new Unavailable("the source is not valid UTF-8");
    }
  }

  private Optional<ConfigMap> fetchOnce(String namespace, String name, String digest) {
    synchronized (this) {
      Long since = missingSince.get(digest);
      if (since != null && System.nanoTime() - since < RETRY_MISSING_AFTER.toNanos()) {
        return Optional.empty();
      }
    }
    LOG.debugf("ConfigMap %s/%s (%s) is not in the cache: fetching it once", namespace, name, digest);
    ConfigMap fetched = client.configMaps().inNamespace(namespace).withName(name).get();
    synchronized (this) {
      if (fetched == null) {
        missingSince.put(digest, System.nanoTime());
        if (missingSince.size() > 1000) {
          missingSince.remove(missingSince.keySet().iterator().next());
        }
      } else {
        missingSince.remove(digest);
      }
    }
    return Optional.ofNullable(fetched);
  }

  private synchronized String remembered(String digest) {
    return byDigest.get(digest);
  }

  private synchronized void remember(String digest, String text) {
    if (byDigest.containsKey(digest) || text.length() > MAX_REMEMBERED_CHARS) {
      return;
    }
    byDigest.put(digest, text);
    rememberedChars += text.length();
    var eldest = byDigest.entrySet().iterator();
    while (rememberedChars > MAX_REMEMBERED_CHARS && eldest.hasNext()) {
      rememberedChars -= eldest.next().getValue().length();
      eldest.remove();
    }
  }

  private static Optional<String> readyMessage(WorkflowVersion version) {
    if (version.getStatus() == null || version.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return version.getStatus().getConditions().stream().filter(c -> WorkflowVersionReconciler.READY.equals(c.getType()))
        .map(c -> c.getReason() + ": " + c.getMessage()).findFirst();
  }
}
