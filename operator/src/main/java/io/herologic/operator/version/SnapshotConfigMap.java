package io.herologic.operator.version;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.kube.ContentAddressedConfigMaps;
import io.herologic.operator.kube.Labels;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable ConfigMap holding a version's exact source bytes, named after their digest: the
 * version's snapshot, and what its Pods mount.
 */
final class SnapshotConfigMap {
  private SnapshotConfigMap() {}

  /** The ConfigMap the operator publishes for {@code flow}; {@code owners} may be empty. */
  static ConfigMap desired(FlowSource flow, String namespace, List<OwnerReference> owners) {
    return new ConfigMapBuilder()
        .withNewMetadata().withName(flow.configMapName()).withNamespace(namespace)
          .withLabels(Map.of(Labels.MANAGED_BY, Labels.OPERATOR, Labels.ROLE, "flow-source",
              Labels.DIGEST, Labels.value(flow.digest().substring("sha256:".length()))))
          .withOwnerReferences(owners)
        .endMetadata()
        .withImmutable(true)
        .withBinaryData(Map.of(FlowSource.FILE_NAME, Base64.getEncoder().encodeToString(flow.bytes())))
        .build();
  }

  /**
   * The source in {@code found} when it is exactly the snapshot the operator publishes for
   * {@code digest} (managed-by label, immutable, one {@code flow.py} with those bytes); else empty.
   */
  static Optional<FlowSource> verified(ConfigMap found, String digest) {
    String encoded = found.getBinaryData() == null ? null : found.getBinaryData().get(FlowSource.FILE_NAME);
    if (encoded == null) {
      return Optional.empty();
    }
    FlowSource source;
    try {
      source = new FlowSource(Base64.getDecoder().decode(encoded));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!source.digest().equals(digest)) {
      return Optional.empty();
    }
    ConfigMap expected = desired(source, found.getMetadata().getNamespace(), List.of());
    return ContentAddressedConfigMaps.problem(found, expected).isEmpty() ? Optional.of(source) : Optional.empty();
  }
}
