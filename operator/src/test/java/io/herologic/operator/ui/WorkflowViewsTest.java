package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.ui.WorkflowViews.VersionView;
import io.herologic.operator.ui.WorkflowViews.WorkflowView;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkflowViewsTest {
  static Workflow workflow(String namespace, String name, String current) {
    Workflow w = new Workflow();
    w.getMetadata().setNamespace(namespace);
    w.getMetadata().setName(name);
    w.getSpec().setCurrentVersion(current);
    return w;
  }

  static WorkflowVersion version(String namespace, String workflow, String name, String created, Boolean ready) {
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setNamespace(namespace);
    v.getMetadata().setName(name);
    v.getMetadata().setCreationTimestamp(created);
    v.getSpec().setWorkflow(workflow);
    v.getSpec().setSource("print()");
    if (ready != null) {
      v.getStatus().getConditions().add(new ConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
          .withReason(ready ? "Parsed" : "NoFlowDecorator").withMessage("m").build());
    }
    return v;
  }

  @Test
  void workflowsCarryTheirVersionsNewestFirstAndMarkTheCurrentOne() {
    List<WorkflowView> views = WorkflowViews.list(
        List.of(workflow("a", "hello", "hello-v1"), workflow("a", "agent", "agent-v1")),
        List.of(version("a", "hello", "hello-v1", "2025-01-01T10:00:00Z", true),
            version("a", "hello", "hello-v2", "2025-01-02T10:00:00Z", false),
            version("a", "agent", "agent-v1", "2025-01-01T10:00:00Z", null)));
    assertEquals(List.of("agent", "hello"), views.stream().map(WorkflowView::name).toList());
    WorkflowView hello = views.get(1);
    assertEquals(List.of("hello-v2", "hello-v1"), hello.versions().stream().map(VersionView::name).toList());
    assertFalse(hello.versions().get(0).current());
    assertTrue(hello.versions().get(1).current());
    assertEquals(Boolean.FALSE, hello.versions().get(0).ready());
    assertEquals("NoFlowDecorator", hello.versions().get(0).readyReason());
    assertNull(views.get(0).versions().get(0).ready(), "no condition yet: unknown");
  }

  @Test
  void versionsWhoseWorkflowIsMissingStillShow() {
    List<WorkflowView> views = WorkflowViews.list(List.of(workflow("a", "hello", "hello-v1")),
        List.of(version("a", "hello", "hello-v1", null, true), version("b", "hello", "hello-v1", null, true),
            version("a", "lonely", "lonely-v1", null, true)));
    assertEquals(List.of("a/hello", "a/lonely", "b/hello"), views.stream().map(v -> v.namespace() + "/" + v.name()).toList());
    assertTrue(views.get(0).exists());
    assertFalse(views.get(1).exists());
    assertFalse(views.get(2).exists(), "a Workflow of the same name in another namespace is another Workflow");
    assertEquals(1, views.get(2).versions().size());
  }

  @Test
  void theSourceSaysWhereItComesFrom() {
    WorkflowVersion inline = version("a", "hello", "v1", null, true);
    assertEquals("inline", WorkflowViews.version(inline, null).source());
    assertNull(WorkflowViews.version(inline, null).sourceRef());
    WorkflowVersion fromConfigMap = version("a", "hello", "v2", null, true);
    fromConfigMap.getSpec().setSource(null);
    fromConfigMap.getSpec().setSourceRef(new ConfigMapKeyRef("src", "flow.py"));
    fromConfigMap.getStatus().setSourceConfigMap("hlflow-abc");
    VersionView view = WorkflowViews.version(fromConfigMap, "v2");
    assertEquals("configMap", view.source());
    assertEquals("src/flow.py", view.sourceRef());
    assertEquals("hlflow-abc", view.sourceConfigMap());
    assertTrue(view.current());
  }
}
