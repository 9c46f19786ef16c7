package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.herologic.model.Play;
import io.herologic.model.WorkflowVersion;
import io.herologic.testing.Edits;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the API server itself enforces through the generated CRDs: no operator involved. */
@DevClusterTest
class CrdIT {
  @BeforeEach
  void crds(DevCluster cluster) {
    cluster.installCrds();
  }

  @Test
  void crdsAreServedWithDocsColumnsShortNamesAndCategory(KubernetesClient client) {
    CustomResourceDefinition plays = client.apiextensions().v1().customResourceDefinitions().withName("plays.herologic.io").get();
    var version = plays.getSpec().getVersions().get(0);
    assertEquals("v1alpha1", version.getName());
    assertTrue(plays.getSpec().getNames().getShortNames().contains("hlplay"));
    assertTrue(plays.getSpec().getNames().getCategories().contains("herologic"));
    assertNotNull(version.getSubresources().getStatus());
    var columns = version.getAdditionalPrinterColumns().stream().map(c -> c.getName()).toList();
    assertTrue(columns.containsAll(List.of("Workflow", "Version", "Phase", "Duration", "Tokens", "Age")), columns.toString());
    String inputsDoc = version.getSchema().getOpenAPIV3Schema().getProperties().get("spec").getProperties().get("inputs").getDescription();
    assertTrue(inputsDoc.startsWith("Inputs of the flow"), inputsDoc);
    for (String crd : List.of("workflows.herologic.io", "workflowversions.herologic.io")) {
      var names = client.apiextensions().v1().customResourceDefinitions().withName(crd).get().getSpec().getNames();
      assertTrue(names.getCategories().contains("herologic"));
      assertTrue(names.getShortNames().stream().noneMatch(n -> n.equals("wf") || n.equals("wftmpl")), names.getShortNames().toString());
    }
  }

  @Test
  void workflowAndVersionPrintReadyTheSameWayFromTheReadyCondition(KubernetesClient client) {
    for (String crd : List.of("workflows.herologic.io", "workflowversions.herologic.io")) {
      var ready = client.apiextensions().v1().customResourceDefinitions().withName(crd).get().getSpec().getVersions().get(0)
          .getAdditionalPrinterColumns().stream().filter(c -> c.getName().equals("Ready")).findFirst().orElseThrow();
      // A string column over the condition prints True/False; a boolean column would print true/false.
      assertEquals("string", ready.getType(), crd);
      assertEquals(".status.conditions[?(@.type==\"Ready\")].status", ready.getJsonPath(), crd);
    }
  }

  @Test
  void aPlayWithoutAWorkflowIsRejectedNamingTheField(KubernetesClient client, TestNamespace ns) {
    var play = generic("Play", "no-workflow", ns, Map.of("inputs", Map.of("x", 1)));
    var error = assertThrows(KubernetesClientException.class, () -> client.resource(play).create());
    assertEquals(422, error.getCode());
    assertTrue(error.getMessage().contains("spec.workflow: Required value"), error.getMessage());
  }

  @Test
  void aWorkflowVersionSpecCannotBeEdited(KubernetesClient client, TestNamespace ns) {
    WorkflowVersion v = new WorkflowVersion();
    v.getMetadata().setName("v1");
    v.getMetadata().setNamespace(ns.name());
    v.getSpec().setWorkflow("w");
    v.getSpec().setSource("print('one')\n");
    client.resource(v).create();
    var error = assertThrows(KubernetesClientException.class, () -> Edits.edit(client.resources(WorkflowVersion.class).inNamespace(ns.name())
        .withName("v1"), x -> {
          x.getSpec().setSource("print('two')\n");
          return x;
        }));
    assertEquals(422, error.getCode());
    assertTrue(error.getMessage().contains("WorkflowVersion spec is immutable: create a new WorkflowVersion"), error.getMessage());
    assertEquals("print('one')\n", client.resources(WorkflowVersion.class).inNamespace(ns.name()).withName("v1").get().getSpec().getSource());
  }

  @Test
  void aWorkflowVersionNeedsExactlyOneSource(KubernetesClient client, TestNamespace ns) {
    var both = generic("WorkflowVersion", "both", ns, Map.of("workflow", "w", "source", "x", "sourceRef", Map.of("name", "cm", "key", "k")));
    var error = assertThrows(KubernetesClientException.class, () -> client.resource(both).create());
    assertTrue(error.getMessage().contains("set exactly one of source"), error.getMessage());
  }

  @Test
  void aPlaySpecIsFixedExceptCancelWhichCannotBeUndone(KubernetesClient client, TestNamespace ns) {
    Flows.play(client, ns.name(), "p", "w", Map.of("name", "Ada"));
    var plays = client.resources(Play.class).inNamespace(ns.name()).withName("p");
    var changedInputs = assertThrows(KubernetesClientException.class, () -> Edits.edit(plays, p -> {
      p.getSpec().getInputs().put("name", "Bob");
      return p;
    }));
    assertTrue(changedInputs.getMessage().contains("a Play's spec is immutable except cancel"), changedInputs.getMessage());
    var addedVersion = assertThrows(KubernetesClientException.class, () -> Edits.edit(plays, p -> {
      p.getSpec().setVersion("v9");
      return p;
    }));
    assertTrue(addedVersion.getMessage().contains("a Play's spec is immutable except cancel"), addedVersion.getMessage());
    Edits.edit(plays, p -> {
      p.getSpec().setCancel(true);
      p.getSpec().setTtlSecondsAfterFinished(60L);
      return p;
    });
    assertTrue(plays.get().getSpec().isCancelRequested());
    var undo = assertThrows(KubernetesClientException.class, () -> Edits.edit(plays, p -> {
      p.getSpec().setCancel(false);
      return p;
    }));
    assertTrue(undo.getMessage().contains("cancel cannot be undone"), undo.getMessage());
    assertEquals("Ada", plays.get().getSpec().getInputs().get("name").asText(), "nothing stored was lost");
  }

  @Test
  void unknownFieldsArePrunedButInputsOutputAndTagsKeepEveryField(KubernetesClient client, TestNamespace ns) {
    // This test writes a Play's status itself: no operator may reconcile it meanwhile.
    OperatorProcess.withoutOperator(() -> prunesUnknownFieldsButKeepsFreeFormJson(client, ns));
  }

  private void prunesUnknownFieldsButKeepsFreeFormJson(KubernetesClient client, TestNamespace ns) {
    Map<String, Object> inputs = Map.of("nested", Map.of("list", List.of(1, "two", Map.of("three", true)), "empty", Map.of()), "n", 1.5);
    var play = generic("Play", "free-json", ns, Map.of("workflow", "w", "inputs", inputs, "bogus", "dropped"));
    client.resource(play).create();
    GenericKubernetesResource stored = client.genericKubernetesResources("herologic.io/v1alpha1", "Play").inNamespace(ns.name()).withName("free-json").get();
    @SuppressWarnings("unchecked")
    Map<String, Object> spec = (Map<String, Object>) stored.getAdditionalProperties().get("spec");
    assertNull(spec.get("bogus"), "unknown fields are pruned");
    assertEquals(Serialization.asJson(inputs).length(), Serialization.asJson(spec.get("inputs")).length());
    assertEquals(Serialization.unmarshal(Serialization.asJson(inputs), Map.class), spec.get("inputs"));

    Map<String, Object> status = Map.of("phase", "Running", "unknownStatusField", 1,
        "output", List.of("any", Map.of("json", 1)),
        "spans", List.of(Map.of("id", "a", "name", "root", "tags", Map.of("rpc.method", "event.set", "params", Map.of("data", Map.of("title", "x"))), "junk", 2)));
    stored.getAdditionalProperties().put("status", status);
    client.genericKubernetesResources("herologic.io/v1alpha1", "Play").inNamespace(ns.name()).resource(stored).updateStatus();
    Play back = Flows.get(client, ns.name(), "free-json");
    assertEquals("event.set", back.getStatus().getSpans().get(0).getTags().get("rpc.method").asText());
    assertEquals("x", back.getStatus().getSpans().get(0).getTags().get("params").get("data").get("title").asText());
    assertEquals(1, back.getStatus().getOutput().get(1).get("json").asInt());
    GenericKubernetesResource raw = client.genericKubernetesResources("herologic.io/v1alpha1", "Play").inNamespace(ns.name()).withName("free-json").get();
    String json = Serialization.asJson(raw.getAdditionalProperties().get("status"));
    assertTrue(!json.contains("unknownStatusField") && !json.contains("junk"), json);
  }

  @Test
  void inputsMustBeAnObject(KubernetesClient client, TestNamespace ns) {
    var play = generic("Play", "scalar-inputs", ns, Map.of("workflow", "w", "inputs", "just a string"));
    var error = assertThrows(KubernetesClientException.class, () -> client.resource(play).create());
    assertTrue(error.getMessage().contains("spec.inputs: Invalid value: \"string\": spec.inputs in body must be of type object"), error.getMessage());
  }

  private static GenericKubernetesResource generic(String kind, String name, TestNamespace ns, Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("herologic.io/v1alpha1");
    r.setKind(kind);
    r.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).withNamespace(ns.name()).build());
    r.getAdditionalProperties().put("spec", spec);
    return r;
  }
}
