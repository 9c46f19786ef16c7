package io.herologic.operator.version;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.kube.Labels;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotConfigMapTest {
  static final FlowSource SOURCE = new FlowSource("from herologic import flow\n\n@flow\ndef f():\n    return 'é'\n".getBytes(StandardCharsets.UTF_8));

  @Test
  void theSnapshotIsNamedAfterTheDigestAndHoldsTheExactBytes() {
    ConfigMap cm = SnapshotConfigMap.desired(SOURCE, "ns", List.of());
    assertEquals("hlflow-" + SOURCE.digest().substring(7, 27), cm.getMetadata().getName());
    assertTrue(cm.getImmutable());
    assertEquals(Labels.OPERATOR, cm.getMetadata().getLabels().get(Labels.MANAGED_BY));
    assertArrayEquals(SOURCE.bytes(), Base64.getDecoder().decode(cm.getBinaryData().get("flow.py")));
    assertTrue(cm.getData() == null || cm.getData().isEmpty(), "no text keys besides the bytes");
  }

  @Test
  void onlyTheOperatorsExactSnapshotVerifies() {
    ConfigMap ours = SnapshotConfigMap.desired(SOURCE, "ns", List.of());
    assertArrayEquals(SOURCE.bytes(), SnapshotConfigMap.verified(ours, SOURCE.digest()).orElseThrow().bytes());

    assertEquals(Optional.empty(), SnapshotConfigMap.verified(ours, "sha256:" + "0".repeat(64)), "another digest");

    ConfigMap planted = new ConfigMapBuilder(ours).withBinaryData(Map.of("flow.py", Base64.getEncoder().encodeToString("evil()\n".getBytes()))).build();
    assertEquals(Optional.empty(), SnapshotConfigMap.verified(planted, SOURCE.digest()), "other bytes under the name");

    ConfigMap mutable = new ConfigMapBuilder(ours).withImmutable(false).build();
    assertEquals(Optional.empty(), SnapshotConfigMap.verified(mutable, SOURCE.digest()), "right bytes, but could change later");

    ConfigMap notOurs = new ConfigMapBuilder(ours).editMetadata().withLabels(Map.of()).endMetadata().build();
    assertEquals(Optional.empty(), SnapshotConfigMap.verified(notOurs, SOURCE.digest()), "right bytes, but not labelled as the operator's");

    ConfigMap extraFile = new ConfigMapBuilder(ours).withData(Map.of("sitecustomize.py", "import os\n")).build();
    assertEquals(Optional.empty(), SnapshotConfigMap.verified(extraFile, SOURCE.digest()), "right flow.py plus a file Pods would also mount");

    ConfigMap notBase64 = new ConfigMapBuilder(ours).withBinaryData(Map.of("flow.py", "%%%")).build();
    assertEquals(Optional.empty(), SnapshotConfigMap.verified(notBase64, SOURCE.digest()));
  }
}
