package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.flowsource.FlowSource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FlowSourcesTest {
  static final String SOURCE = "from herologic import flow\n\n@flow\ndef f():\n    return 'é'\n";
  static final String DIGEST = new FlowSource(SOURCE.getBytes(StandardCharsets.UTF_8)).digest();

  /** ConfigMaps "in the cache"; the API server is never asked (no client). */
  private final Map<String, ConfigMap> cached = new HashMap<>();
  private int lookups;
  private final FlowSources sources = new FlowSources(new UiCaches(null, null) {
    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
      lookups++;
      return Optional.ofNullable(cached.get(namespace + "/" + name));
    }
  }, null);

  private static WorkflowVersion fromConfigMap(String digest) {
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setNamespace("a");
    v.getMetadata().setName("v");
    v.getSpec().setSourceRef(new ConfigMapKeyRef("user-src", "main.py"));
    v.getStatus().setSourceConfigMap("hlflow-x");
    v.getStatus().setDigest(digest);
    return v;
  }

  private static ConfigMap published(String text) {
    return new ConfigMapBuilder().withNewMetadata().withName("hlflow-x").withNamespace("a").endMetadata()
        .addToBinaryData(FlowSource.FILE_NAME, Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8))).build();
  }

  @Test
  void anInlineSourceIsTheSpec() {
    WorkflowVersion v = new WorkflowVersion();
    v.getSpec().setSource(SOURCE);
    FlowSources.Found found = assertInstanceOf(FlowSources.Found.class, sources.source(v));
    assertEquals(SOURCE, found.text());
    assertEquals(DIGEST, found.digest());
  }

  @Test
  void aConfigMapSourceIsThePublishedSnapshotReadOncePerDigest() {
    cached.put("a/hlflow-x", published(SOURCE));
    FlowSources.Found found = assertInstanceOf(FlowSources.Found.class, sources.source(fromConfigMap(DIGEST)));
    assertEquals(SOURCE, found.text());
    cached.clear();
    assertInstanceOf(FlowSources.Found.class, sources.source(fromConfigMap(DIGEST)), "kept by digest: the bytes cannot change");
    assertEquals(1, lookups);
  }

  @Test
  void bytesThatDoNotMatchTheDigestAreNotShown() {
    cached.put("a/hlflow-x", published(SOURCE + "# changed\n"));
    FlowSources.Unavailable missing = assertInstanceOf(FlowSources.Unavailable.class, sources.source(fromConfigMap(DIGEST)));
    assertTrue(missing.reason().contains("not " + DIGEST), missing.reason());
  }

  @Test
  void anUnpublishedVersionSaysWhy() {
    WorkflowVersion v = fromConfigMap(null);
    v.getStatus().setSourceConfigMap(null);
    v.getStatus().getConditions().add(new io.fabric8.kubernetes.api.model.ConditionBuilder().withType("Ready").withStatus("False")
        .withReason("SourceNotFound").withMessage("ConfigMap user-src not found").build());
    FlowSources.Unavailable missing = assertInstanceOf(FlowSources.Unavailable.class, sources.source(v));
    assertTrue(missing.reason().endsWith("SourceNotFound: ConfigMap user-src not found"), missing.reason());
  }
}
