package io.herologic.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.crdv2.generator.CRDPostProcessor;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.io.File;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Writes the CRDs of every kind to the folder given as the only argument. Run by the build
 * (process-test-classes); `make crds` copies the result into crds/.
 *
 * <p>Fabric8's generator sorts printer columns by JSON path, which would put Age first; kubectl
 * users expect the order the kinds declare (Workflow, Version, Phase, ..., Age), so this restores
 * it. It also adds each kind's {@link KindDescription}, which `kubectl explain` shows, and drops the
 * transition rules (those naming {@code oldSelf}) from the copy of a Play's spec inside a
 * PlaySchedule's template: they make a Play a record, but a template is edited like a CronJob's.
 */
public final class GenerateCrds {
  static final List<Class<? extends HasMetadata>> KINDS = List.of(Workflow.class, WorkflowVersion.class, Play.class, PlaySchedule.class);

  private GenerateCrds() {}

  public static void main(String[] args) {
    File out = new File(args[0]);
    if (!out.isDirectory() && !out.mkdirs()) {
      throw new IllegalStateException("cannot create " + out);
    }
    int written = new CRDGenerator()
        .inOutputDir(out)
        .forCRDVersions("v1")
        .withPostProcessor(new DeclaredColumnOrder())
        .customResourceClasses(KINDS)
        .generate();
    if (written != KINDS.size()) {
      throw new IllegalStateException("expected " + KINDS.size() + " CRDs, generated " + written);
    }
  }

  /** Orders printer columns as declared and documents the kind, its spec and its status. */
  static final class DeclaredColumnOrder implements CRDPostProcessor {
    @Override
    public HasMetadata process(HasMetadata crd, String crdSpecVersion) {
      CustomResourceDefinition definition = (CustomResourceDefinition) crd;
      String kind = definition.getSpec().getNames().getKind();
      List<String> declared = KINDS.stream().filter(k -> k.getSimpleName().equals(kind)).findFirst()
          .map(k -> Arrays.stream(k.getAnnotationsByType(AdditionalPrinterColumn.class)).map(AdditionalPrinterColumn::name).toList())
          .orElse(List.of());
      KindDescription docs = KINDS.stream().filter(k -> k.getSimpleName().equals(kind)).findFirst()
          .map(k -> k.getAnnotation(KindDescription.class)).orElse(null);
      definition.getSpec().getVersions().forEach(v -> {
        if (docs != null) {
          var root = v.getSchema().getOpenAPIV3Schema();
          root.setDescription(docs.value());
          root.getProperties().get("spec").setDescription(docs.spec());
          root.getProperties().get("status").setDescription(docs.status());
        }
        if (PlaySchedule.class.getSimpleName().equals(kind)) {
          dropTransitionRules(v.getSchema().getOpenAPIV3Schema().getProperties().get("spec").getProperties().get("template"));
        }
        if (v.getAdditionalPrinterColumns() != null) {
          v.getAdditionalPrinterColumns().sort(Comparator.comparingInt((CustomResourceColumnDefinition c) -> declared.indexOf(c.getName())));
        }
      });
      return definition;
    }

    private static void dropTransitionRules(JSONSchemaProps schema) {
      if (schema == null) {
        return;
      }
      if (schema.getXKubernetesValidations() != null) {
        schema.getXKubernetesValidations().removeIf(rule -> rule.getRule().contains("oldSelf"));
        if (schema.getXKubernetesValidations().isEmpty()) {
          schema.setXKubernetesValidations(null);
        }
      }
      if (schema.getProperties() != null) {
        schema.getProperties().values().forEach(DeclaredColumnOrder::dropTransitionRules);
      }
      if (schema.getItems() != null) {
        dropTransitionRules(schema.getItems().getSchema());
      }
      if (schema.getAdditionalProperties() != null) {
        dropTransitionRules(schema.getAdditionalProperties().getSchema());
      }
    }
  }
}
