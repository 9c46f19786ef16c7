package io.herologic.operator.version;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.WorkflowVersion;
import io.herologic.model.WorkflowVersionStatus;
import io.herologic.operator.flowsource.FlowParseException;
import io.herologic.operator.flowsource.FlowParser;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.flowsource.ParsedFlow;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.StatusPatch;
import io.herologic.operator.kube.Indexes;
import io.herologic.operator.kube.Labels;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.net.HttpURLConnection;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Reads a WorkflowVersion's source, parses its {@code @flow}, and publishes the exact bytes as an
 * immutable ConfigMap named after their digest, which Pods mount. A source that comes from a
 * user's ConfigMap is snapshotted, so what a Play runs is always the digest it recorded.
 */
@ControllerConfiguration(name = "workflowversion")
public class WorkflowVersionReconciler implements Reconciler<WorkflowVersion> {
  static final String BY_SOURCE_CONFIGMAP = "bySourceConfigMap";
  public static final String READY = "Ready";

  private final KubernetesClient client;

  public WorkflowVersionReconciler(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public List<EventSource<?, WorkflowVersion>> prepareEventSources(EventSourceContext<WorkflowVersion> context) {
    context.getPrimaryCache().addIndexer(BY_SOURCE_CONFIGMAP, v -> v.getSpec().getSourceRef() == null ? List.of()
        : List.of(Indexes.key(v.getMetadata().getNamespace(), v.getSpec().getSourceRef().getName())));
    // Wakes the versions that read a ConfigMap when it appears or changes.
    var configMaps = InformerEventSourceConfiguration.from(ConfigMap.class, WorkflowVersion.class)
        .withSecondaryToPrimaryMapper(cm -> Indexes.referencing(context.getPrimaryCache(), BY_SOURCE_CONFIGMAP, cm))
        .build();
    return List.of(new InformerEventSource<>(configMaps, context));
  }

  @Override
  public UpdateControl<WorkflowVersion> reconcile(WorkflowVersion version, Context<WorkflowVersion> context) {
    String namespace = version.getMetadata().getNamespace();
    WorkflowVersionStatus status = new WorkflowVersionStatus();
    status.setConditions(new ArrayList<>(version.getStatus().getConditions()));
    status.setObservedGeneration(version.getMetadata().getGeneration());
    Long generation = version.getMetadata().getGeneration();

    var configMaps = configMapCache(context);
    var source = SourceResolver.resolve(version.getSpec(), namespace, name -> configMaps.get(new ResourceID(name, namespace)));
    if (source instanceof SourceResolver.Missing missing) {
      Conditions.set(status.getConditions(), READY, false, missing.problem().reason(), missing.problem().message(), generation);
      return patchIfChanged(version, status);
    }
    FlowSource flow = ((SourceResolver.Found) source).source();
    status.setDigest(flow.digest());
    status.setSizeBytes((long) flow.bytes().length);
    if (flow.bytes().length > FlowSource.MAX_BYTES) {
      Conditions.set(status.getConditions(), READY, false, "SourceTooLarge",
          "source is " + flow.bytes().length + " bytes; the limit is " + FlowSource.MAX_BYTES + " bytes", generation);
      return patchIfChanged(version, status);
    }
    ParsedFlow parsed;
    try {
      parsed = FlowParser.parse(flow.text());
    } catch (CharacterCodingException e) {
      Conditions.set(status.getConditions(), READY, false, "InvalidSource", "source is not valid UTF-8", generation);
      return patchIfChanged(version, status);
    } catch (FlowParseException e) {
      Conditions.set(status.getConditions(), READY, false, e.noFlowDecorator() ? "NoFlowDecorator" : "InvalidFlow", e.getMessage(), generation);
      return patchIfChanged(version, status);
    }
    status.setFlowName(parsed.name());
    status.setInputs(parsed.inputs());
    status.setSourceConfigMap(publish(version, flow));
    Conditions.set(status.getConditions(), READY, true, "Parsed",
        "flow " + parsed.name() + " (" + parsed.inputs().size() + " inputs) published as ConfigMap " + status.getSourceConfigMap(), generation);
    return patchIfChanged(version, status);
  }

  @SuppressWarnings("unchecked")
  private static InformerEventSource<ConfigMap, WorkflowVersion> configMapCache(Context<WorkflowVersion> context) {
    return (InformerEventSource<ConfigMap, WorkflowVersion>) context.eventSourceRetriever().getEventSourceFor(ConfigMap.class);
  }

  private static UpdateControl<WorkflowVersion> patchIfChanged(WorkflowVersion version, WorkflowVersionStatus status) {
    if (status.equals(version.getStatus())) {
      return UpdateControl.noUpdate();
    }
    version.setStatus(status);
    return StatusPatch.of(version);
  }

  /** Creates the digest-named ConfigMap, or adds this version as one more owner of an existing one. */
  private String publish(WorkflowVersion version, FlowSource flow) {
    String name = flow.configMapName();
    String namespace = version.getMetadata().getNamespace();
    OwnerReference owner = new OwnerReferenceBuilder().withApiVersion(version.getApiVersion()).withKind(version.getKind())
        .withName(version.getMetadata().getName()).withUid(version.getMetadata().getUid()).build();
    var resource = client.configMaps().inNamespace(namespace).withName(name);
    ConfigMap existing = resource.get();
    if (existing == null) {
      ConfigMap cm = new ConfigMapBuilder()
          .withNewMetadata().withName(name).withNamespace(namespace)
            .withLabels(Map.of(Labels.MANAGED_BY, Labels.OPERATOR, Labels.ROLE, "flow-source",
                Labels.DIGEST, Labels.value(flow.digest().substring("sha256:".length()))))
            .withOwnerReferences(owner)
          .endMetadata()
          .withImmutable(true)
          .withBinaryData(Map.of(FlowSource.FILE_NAME, Base64.getEncoder().encodeToString(flow.bytes())))
          .build();
      try {
        client.configMaps().inNamespace(namespace).resource(cm).create();
        return name;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        existing = resource.get(); // another version with the same bytes created it just now
      }
    }
    if (existing != null && existing.getMetadata().getOwnerReferences().stream().noneMatch(o -> owner.getUid().equals(o.getUid()))) {
      resource.edit(cm -> {
        cm.getMetadata().getOwnerReferences().add(owner);
        return cm;
      });
    }
    return name;
  }
}
