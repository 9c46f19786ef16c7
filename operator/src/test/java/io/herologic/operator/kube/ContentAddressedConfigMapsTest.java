package io.herologic.operator.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContentAddressedConfigMapsTest {
  private static ConfigMap configMap(Map<String, String> labels, Boolean immutable, Map<String, String> data, Map<String, String> binaryData) {
    return new ConfigMapBuilder().withNewMetadata().withName("hlflow-abc").withNamespace("ns").withLabels(labels).endMetadata()
        .withImmutable(immutable).withData(data).withBinaryData(binaryData).build();
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static final Map<String, String> OURS = Map.of(Labels.MANAGED_BY, Labels.OPERATOR);
  private static final ConfigMap DESIRED = configMap(OURS, true, null, Map.of("flow.py", b64("print(1)\n")));

  @Test
  void theDigestDependsOnEveryByteKeyAndKindButNotOnMetadataOrEncoding() {
    String digest = ContentDigest.of(DESIRED);
    assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
    // Same content, other metadata, and base64 re-encoded without padding changes: same digest.
    ConfigMap relabelled = configMap(Map.of("x", "y"), false, null, Map.of("flow.py", b64("print(1)\n")));
    relabelled.getMetadata().setName("other");
    assertEquals(digest, ContentDigest.of(relabelled));

    assertNotEquals(digest, ContentDigest.of(configMap(OURS, true, null, Map.of("flow.py", b64("print(2)\n")))), "one byte");
    assertNotEquals(digest, ContentDigest.of(configMap(OURS, true, null, Map.of("flow2.py", b64("print(1)\n")))), "the key");
    assertNotEquals(digest, ContentDigest.of(configMap(OURS, true, Map.of("flow.py", "print(1)\n"), null)), "text instead of bytes");
    assertNotEquals(digest, ContentDigest.of(configMap(OURS, true, Map.of("extra", ""), Map.of("flow.py", b64("print(1)\n")))),
        "an extra, empty file");
    // Key and value boundaries cannot be shifted to fake the same stream.
    assertNotEquals(ContentDigest.of(configMap(OURS, true, Map.of("ab", "c"), null)), ContentDigest.of(configMap(OURS, true, Map.of("a", "bc"), null)));
    assertNotEquals(digest, ContentDigest.of(configMap(OURS, true, null, Map.of("flow.py", "not base64!"))), "invalid base64");
  }

  @Test
  void aConfigMapIsVerifiedOnlyWhenImmutableOursAndTheSameContent() {
    assertEquals(Optional.empty(), ContentAddressedConfigMaps.problem(configMap(OURS, true, null, Map.of("flow.py", b64("print(1)\n"))), DESIRED));

    String planted = ContentAddressedConfigMaps.problem(configMap(OURS, true, null, Map.of("flow.py", b64("evil()\n"))), DESIRED).orElseThrow();
    assertTrue(planted.startsWith("holds content sha256:"), planted);
    assertTrue(planted.endsWith(", not " + ContentDigest.of(DESIRED)), planted);

    String unlabelled = ContentAddressedConfigMaps.problem(configMap(Map.of(), true, null, Map.of("flow.py", b64("print(1)\n"))), DESIRED).orElseThrow();
    assertEquals("is labelled app.kubernetes.io/managed-by=(none), not hero-logic", unlabelled);

    String mutable = ContentAddressedConfigMaps.problem(configMap(OURS, null, null, Map.of("flow.py", b64("print(1)\n"))), DESIRED).orElseThrow();
    assertEquals("is not immutable", mutable);

    ConfigMap deleting = configMap(OURS, true, null, Map.of("flow.py", b64("print(1)\n")));
    deleting.getMetadata().setDeletionTimestamp("2026-11-30T00:00:00Z");
    assertEquals(Optional.of("is being deleted"), ContentAddressedConfigMaps.problem(deleting, DESIRED));

    String all = ContentAddressedConfigMaps.problem(configMap(Map.of(Labels.MANAGED_BY, "mallory"), false, Map.of("flow.py", "x"), null), DESIRED).orElseThrow();
    assertTrue(all.contains("managed-by=mallory") && all.contains("not immutable") && all.contains("holds content"), all);
  }

  @Test
  void publishedCopiesCarryTheirContentDigestAsALabel() {
    ConfigMap labelled = ContentAddressedConfigMaps.withContentLabel(DESIRED);
    assertEquals(ContentDigest.of(DESIRED).substring("sha256:".length(), "sha256:".length() + 63),
        labelled.getMetadata().getLabels().get(ContentAddressedConfigMaps.CONTENT_DIGEST));
    assertEquals(Labels.OPERATOR, labelled.getMetadata().getLabels().get(Labels.MANAGED_BY));
    assertEquals(Optional.empty(), ContentAddressedConfigMaps.problem(labelled, DESIRED), "the label is not content");
  }
}
