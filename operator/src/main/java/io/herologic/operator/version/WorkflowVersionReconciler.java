package io.herologic.operator.version;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.WorkflowVersion;
import io.herologic.model.WorkflowVersionStatus;
import io.herologic.operator.flowsource.FlowParseException;
import io.herologic.operator.flowsource.FlowParser;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.flowsource.ParsedFlow;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.ContentAddressedConfigMaps;
import io.herologic.operator.kube.EventRecorder;
import io.herologic.operator.kube.Indexes;
import io.herologic.operator.kube.StatusPatch;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.CharacterCodingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a WorkflowVersion's source once, parses its {@code @flow}, and publishes the exact bytes
 * as an immutable ConfigMap named after their digest, which Pods mount: the version's snapshot.
 *
 * <p>The first successful read fixes {@code status.digest} for good; from then on Ready, the flow
 * and the digest come from the snapshot only. A source from a user's ConfigMap ({@code sourceRef})
 * is compared with the snapshot on every change of that ConfigMap: a difference is reported
 * (condition {@code SourceChanged}, a Warning Event) and never run. Status is the record of the
 * snapshot, so an operator restart changes nothing.
 */
@ControllerConfiguration(name = "workflowversion")
public class WorkflowVersionReconciler implements Reconciler<WorkflowVersion> {
  /** The ConfigMaps a version reads: its {@code sourceRef} and its published snapshot. */
  static final String BY_CONFIGMAP = "byConfigMap";
  public static final String READY = "Ready";
  /** Whether a {@code sourceRef} ConfigMap still holds the snapshot this version runs. */
  public static final String SOURCE_CHANGED = "SourceChanged";
  static final String SNAPSHOT_LOST = "SnapshotLost";

  private final KubernetesClient client;
  private final ContentAddressedConfigMaps configMaps;
  private final EventRecorder events;

  public WorkflowVersionReconciler(KubernetesClient client, ContentAddressedConfigMaps configMaps, EventRecorder events) {
    this.client = client;
    this.configMaps = configMaps;
    this.events = events;
  }

  @Override
  public List<EventSource<?, WorkflowVersion>> prepareEventSources(EventSourceContext<WorkflowVersion> context) {
    context.getPrimaryCache().addIndexer(BY_CONFIGMAP, WorkflowVersionReconciler::configMapsRead);
    // Wakes the versions that read a ConfigMap when it appears, changes or goes.
    var configMaps = InformerEventSourceConfiguration.from(ConfigMap.class, WorkflowVersion.class)
        .withSecondaryToPrimaryMapper(cm -> Indexes.referencing(context.getPrimaryCache(), BY_CONFIGMAP, cm))
        .build();
    return List.of(new InformerEventSource<>(configMaps, context));
  }

  private static List<String> configMapsRead(WorkflowVersion v) {
    String namespace = v.getMetadata().getNamespace();
    List<String> keys = new ArrayList<>();
    if (v.getSpec().getSourceRef() != null) {
      keys.add(Indexes.key(namespace, v.getSpec().getSourceRef().getName()));
    }
    if (v.getStatus() != null && v.getStatus().getSourceConfigMap() != null) {
      keys.add(Indexes.key(namespace, v.getStatus().getSourceConfigMap()));
    }
    return keys;
  }

  @Override
  public UpdateControl<WorkflowVersion> reconcile(WorkflowVersion version, Context<WorkflowVersion> context) {
    WorkflowVersionStatus status = new WorkflowVersionStatus();
    status.setConditions(new ArrayList<>(version.getStatus().getConditions()));
    status.setObservedGeneration(version.getMetadata().getGeneration());
    String namespace = version.getMetadata().getNamespace();
    var cache = configMapCache(context);
    Function<String, Optional<ConfigMap>> cached = name -> cache.get(new ResourceID(name, namespace));
    return hasSnapshot(version.getStatus())
        ? keepSnapshot(version, status, version.getStatus().getDigest(), cached)
        : firstRead(version, status, cached);
  }

  /**
   * A snapshot was taken when a digest is recorded with the ConfigMap it was published as, or
   * recorded as lost. (Operators from before snapshots also recorded the digest of sources they
   * refused, without a ConfigMap: nothing ever ran those, so they are read again.)
   */
  static boolean hasSnapshot(WorkflowVersionStatus status) {
    return status.getDigest() != null && (status.getSourceConfigMap() != null
        || Conditions.find(status.getConditions(), READY).map(c -> SNAPSHOT_LOST.equals(c.getReason())).orElse(false));
  }

  /** No snapshot yet: read the source, and when it is a valid flow, publish it as the snapshot. */
  private UpdateControl<WorkflowVersion> firstRead(WorkflowVersion version, WorkflowVersionStatus status,
      Function<String, Optional<ConfigMap>> cached) {
    Long generation = version.getMetadata().getGeneration();
    var source = SourceResolver.resolve(version.getSpec(), version.getMetadata().getNamespace(), cached);
    if (source instanceof SourceResolver.Missing missing) {
      Conditions.set(status.getConditions(), READY, false, missing.problem().reason(), missing.problem().message(), generation);
      return patchIfChanged(version, status);
    }
    FlowSource flow = ((SourceResolver.Found) source).source();
    status.setSizeBytes((long) flow.bytes().length);
    var parsed = parse(flow);
    if (parsed instanceof Invalid invalid) {
      // Not a snapshot: nothing can run it, so a corrected source is still read.
      Conditions.set(status.getConditions(), READY, false, invalid.problem().reason(), invalid.problem().message(), generation);
      return patchIfChanged(version, status);
    }
    setSnapshot(status, flow, ((Valid) parsed).flow(), publish(version, flow), generation);
    if (version.getSpec().getSourceRef() != null) {
      sourceChanged(version, status, source, flow.digest());
    }
    // The one write that fixes the digest carries the resourceVersion it was computed from: a
    // reconcile working from a cached copy that predates an earlier snapshot fails with a
    // conflict and runs again, instead of replacing that snapshot with what the ConfigMap holds now.
    version.setStatus(status);
    return UpdateControl.patchStatus(version);
  }

  /** The snapshot is taken: it alone decides Ready; the source it came from is only compared with it. */
  private UpdateControl<WorkflowVersion> keepSnapshot(WorkflowVersion version, WorkflowVersionStatus status, String digest,
      Function<String, Optional<ConfigMap>> cached) {
    Long generation = version.getMetadata().getGeneration();
    String namespace = version.getMetadata().getNamespace();
    WorkflowVersionStatus before = version.getStatus();
    var fromSpec = SourceResolver.resolve(version.getSpec(), namespace, cached);
    Optional<FlowSource> snapshot = Optional.ofNullable(before.getSourceConfigMap())
        .flatMap(name -> cached.apply(name).or(() -> Optional.ofNullable(client.configMaps().inNamespace(namespace).withName(name).get())))
        .flatMap(cm -> SnapshotConfigMap.verified(cm, digest));
    boolean publishAgain = snapshot.isEmpty();
    if (publishAgain) {
      // The published copy is gone or is not the operator's any more. The spec's source may still
      // hold the same bytes (always so for an inline source): they are published again.
      snapshot = found(fromSpec).filter(f -> f.digest().equals(digest));
    }
    var parsed = snapshot.map(WorkflowVersionReconciler::parse);
    if (parsed.isPresent() && parsed.get() instanceof Valid valid) {
      String published = publishAgain ? publish(version, snapshot.get()) : before.getSourceConfigMap();
      setSnapshot(status, snapshot.get(), valid.flow(), published, generation);
    } else {
      status.setDigest(digest);
      status.setSizeBytes(before.getSizeBytes());
      status.setFlowName(before.getFlowName());
      status.setInputs(before.getInputs());
      status.setSourceConfigMap(null); // names only a verified object, and there is none
      // Only valid sources are published, so an invalid snapshot cannot happen; were it to, it is said as it is.
      SourceResolver.Problem problem = parsed.map(p -> ((Invalid) p).problem()).orElseGet(() -> new SourceResolver.Problem(SNAPSHOT_LOST,
          "the published copy of " + digest + " is gone or no longer verified, and the source no longer holds those bytes:"
              + " this version cannot run again; create a new WorkflowVersion"));
      if (!problem.reason().equals(Conditions.find(before.getConditions(), READY).map(Condition::getReason).orElse(""))) {
        events.warning(version, problem.reason(), problem.message()
            + (before.getSourceConfigMap() == null ? "" : " (it was ConfigMap " + before.getSourceConfigMap() + ")"));
      }
      Conditions.set(status.getConditions(), READY, false, problem.reason(), problem.message(), generation);
    }
    if (version.getSpec().getSourceRef() != null) {
      sourceChanged(version, status, fromSpec, digest);
    }
    return patchIfChanged(version, status);
  }

  private static void setSnapshot(WorkflowVersionStatus status, FlowSource flow, ParsedFlow parsed, String configMap, Long generation) {
    status.setDigest(flow.digest());
    status.setSizeBytes((long) flow.bytes().length);
    status.setFlowName(parsed.name());
    status.setInputs(parsed.inputs());
    status.setSourceConfigMap(configMap);
    Conditions.set(status.getConditions(), READY, true, "Parsed",
        "flow " + parsed.name() + " (" + parsed.inputs().size() + " inputs) published as ConfigMap " + configMap, generation);
  }

  /**
   * Compares the {@code sourceRef} ConfigMap with the snapshot. A change is reported once per new
   * content with a Warning Event; the version keeps running the snapshot whatever the ConfigMap holds.
   */
  private void sourceChanged(WorkflowVersion version, WorkflowVersionStatus status, SourceResolver.Result current, String snapshot) {
    ConfigMapKeyRef ref = version.getSpec().getSourceRef();
    String where = "ConfigMap " + ref.getName() + " key " + ref.getKey();
    Optional<String> now = found(current).map(FlowSource::digest);
    boolean changed = !now.equals(Optional.of(snapshot));
    String reason;
    String message;
    if (now.isEmpty()) {
      reason = "SourceConfigMapGone";
      message = where + " can no longer be read (" + ((SourceResolver.Missing) current).problem().reason() + "); this version keeps running its snapshot "
          + snapshot + ". Nothing needs to be done.";
    } else if (changed) {
      reason = "SourceConfigMapChanged";
      message = where + " changed from " + snapshot + " to " + now.get() + " after this version took its snapshot; the version keeps running "
          + snapshot + ". To run the new source, create a new WorkflowVersion.";
    } else {
      reason = "SourceConfigMapMatches";
      message = where + " still holds the snapshot " + snapshot + " this version runs";
    }
    Optional<Condition> previous = Conditions.find(version.getStatus().getConditions(), SOURCE_CHANGED);
    if (changed && now.isPresent() && !previous.map(Condition::getMessage).equals(Optional.of(message))) {
      events.warning(version, reason, message);
    }
    Conditions.set(status.getConditions(), SOURCE_CHANGED, changed, reason, message, version.getMetadata().getGeneration());
  }

  private static Optional<FlowSource> found(SourceResolver.Result result) {
    return result instanceof SourceResolver.Found found ? Optional.of(found.source()) : Optional.empty();
  }

  private sealed interface Parsed permits Valid, Invalid {}

  private record Valid(ParsedFlow flow) implements Parsed {}

  private record Invalid(SourceResolver.Problem problem) implements Parsed {}

  private static Parsed parse(FlowSource flow) {
    if (flow.bytes().length > FlowSource.MAX_BYTES) {
      return new Invalid(new SourceResolver.Problem("SourceTooLarge",
          "source is " + flow.bytes().length + " bytes; the limit is " + FlowSource.MAX_BYTES + " bytes"));
    }
    try {
      return new Valid(FlowParser.parse(flow.text()));
    } catch (CharacterCodingException e) {
      return new Invalid(new SourceResolver.Problem("InvalidSource", "source is not valid UTF-8"));
    } catch (FlowParseException e) {
      return new Invalid(new SourceResolver.Problem(e.noFlowDecorator() ? "NoFlowDecorator" : "InvalidFlow", e.getMessage()));
    }
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

  /**
   * Publishes the snapshot (or finds the verified one already there) and makes this version one of
   * its owners, so it goes when the last version using it goes. Returns the name Pods mount.
   */
  private String publish(WorkflowVersion version, FlowSource flow) {
    String namespace = version.getMetadata().getNamespace();
    OwnerReference owner = new OwnerReferenceBuilder().withApiVersion(version.getApiVersion()).withKind(version.getKind())
        .withName(version.getMetadata().getName()).withUid(version.getMetadata().getUid()).build();
    var published = configMaps.publish(SnapshotConfigMap.desired(flow, namespace, List.of(owner)));
    published.squatter().ifPresent(squatter -> events.warning(version, "UnverifiedConfigMap", squatter.describe()
        + ". It is never mounted: this version's source is published as ConfigMap " + published.name() + " instead."));
    ConfigMap cm = published.configMap();
    if (cm.getMetadata().getOwnerReferences().stream().noneMatch(o -> Objects.equals(owner.getUid(), o.getUid()))) {
      client.configMaps().inNamespace(namespace).withName(published.name()).edit(existing -> {
        existing.getMetadata().getOwnerReferences().add(owner);
        return existing;
      });
    }
    return published.name();
  }
}
