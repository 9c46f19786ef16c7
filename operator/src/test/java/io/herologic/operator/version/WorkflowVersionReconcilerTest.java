package io.herologic.operator.version;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herologic.model.WorkflowVersionStatus;
import io.herologic.operator.kube.Conditions;
import org.junit.jupiter.api.Test;

class WorkflowVersionReconcilerTest {
  private static final String DIGEST = "sha256:" + "a".repeat(64);

  @Test
  void aSnapshotIsADigestWithItsConfigMapOrOneRecordedAsLost() {
    WorkflowVersionStatus none = new WorkflowVersionStatus();
    assertFalse(WorkflowVersionReconciler.hasSnapshot(none));

    WorkflowVersionStatus published = new WorkflowVersionStatus();
    published.setDigest(DIGEST);
    published.setSourceConfigMap("hlflow-aaaaaaaaaaaaaaaaaaaa");
    assertTrue(WorkflowVersionReconciler.hasSnapshot(published));

    WorkflowVersionStatus lost = new WorkflowVersionStatus();
    lost.setDigest(DIGEST);
    Conditions.set(lost.getConditions(), "Ready", false, "SnapshotLost", "gone", 1L);
    assertTrue(WorkflowVersionReconciler.hasSnapshot(lost), "a lost snapshot is never replaced by other bytes");

    // What operators before snapshots wrote for a source they refused: read again, nothing ran it.
    WorkflowVersionStatus refusedBefore = new WorkflowVersionStatus();
    refusedBefore.setDigest(DIGEST);
    Conditions.set(refusedBefore.getConditions(), "Ready", false, "InvalidFlow", "line 3: ...", 1L);
    assertFalse(WorkflowVersionReconciler.hasSnapshot(refusedBefore));
  }
}
