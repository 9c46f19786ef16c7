package io.herologic.operator.seed;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.LlmSettings;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowSpec;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.bundle.BundledFiles;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.flowsource.FlowParser;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.kube.ContentAddressedConfigMaps;
import io.herologic.operator.kube.EventRecorder;
import io.herologic.operator.kube.Labels;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Seeds the built-in flows on every start: per flow an immutable ConfigMap with the source bytes
 * (binaryData, so they come back exact), a WorkflowVersion named after the flow and its digest, and
 * the Workflow if there is none.
 *
 * <p>It creates and never overwrites, so GitOps tools and user edits never fight it. The one update
 * it makes: when a release ships a changed source, it moves the pin of a Workflow that still
 * points at an older built-in version <em>and</em> whose spec is exactly what the seeder last wrote
 * (recorded as a hash in an annotation). A Workflow a person or a GitOps tool has edited in any
 * way keeps its pin. Every write is a create (a conflict means another replica did it) or an
 * update guarded by resourceVersion, so replicas starting together are safe.
 */
@ApplicationScoped
public class BuiltinFlowSeeder {
  private static final Logger LOG = Logger.getLogger(BuiltinFlowSeeder.class);
  public static final String SEEDED_SPEC = "herologic.io/seeded-spec";
  static final String SEEDER = "hero-logic-seeder";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final OperatorConfig config;
  private final ContentAddressedConfigMaps configMaps;
  private final EventRecorder events;

  public BuiltinFlowSeeder(KubernetesClient client, OperatorConfig config, ContentAddressedConfigMaps configMaps, EventRecorder events) {
    this.client = client;
    this.config = config;
    this.configMaps = configMaps;
    this.events = events;
  }

  void onStart(@Observes StartupEvent start) {
    if (!config.seedBuiltinFlows()) {
      return;
    }
    for (String namespace : namespacesToSeed()) {
      try {
        seed(namespace).forEach(outcome -> LOG.infof("seeded %s", outcome));
      } catch (KubernetesClientException e) {
        LOG.errorf("could not seed the built-in flows into namespace %s: %s (are the CRDs from crds/ installed?)", namespace, e.getMessage());
      }
    }
  }

  List<String> namespacesToSeed() {
    String watched = ConfigProvider.getConfig().getOptionalValue("quarkus.operator-sdk.namespaces", String.class).orElse("JOSDK_WATCH_CURRENT");
    if (watched.equals("JOSDK_WATCH_CURRENT")) {
      return List.of(client.getNamespace());
    }
    if (watched.equals("JOSDK_ALL_NAMESPACES")) {
      return config.seedNamespaces().orElse(List.of(client.getNamespace()));
    }
    return List.of(watched.split("\\s*,\\s*"));
  }

  /** Seeds every built-in flow into {@code namespace}; returns one line per flow saying what it did. */
  public List<String> seed(String namespace) {
    List<String> outcomes = new ArrayList<>();
    for (BuiltinFlow flow : BuiltinFlow.ALL) {
      outcomes.add(seed(namespace, flow));
    }
    return outcomes;
  }

  private String seed(String namespace, BuiltinFlow flow) {
    byte[] bytes = BundledFiles.python("herologic/builtin").get(flow.fileName());
    if (bytes == null) {
      throw new IllegalStateException("built-in flow " + flow.fileName() + " is missing from the operator build");
    }
    FlowSource source = new FlowSource(bytes);
    String declared = FlowParser.parse(new String(bytes, StandardCharsets.UTF_8)).name();
    if (!declared.equals(flow.flowName())) {
      throw new IllegalStateException(flow.fileName() + " declares @flow(name=\"" + declared + "\") but is registered as " + flow.flowName());
    }
    String digest = source.digest();
    String configMap = flow.configMapName(digest);
    String version = flow.versionName(digest);
    Map<String, String> labels = Map.of(Labels.MANAGED_BY, SEEDER, Labels.BUILTIN, "true", Labels.WORKFLOW, flow.workflowName());

    // The name is predictable: a ConfigMap someone created under it first is never what the version reads.
    var published = configMaps.publish(new ConfigMapBuilder()
        .withNewMetadata().withName(configMap).withNamespace(namespace).withLabels(labels).endMetadata()
        .withImmutable(true)
        .withBinaryData(Map.of(FlowSource.FILE_NAME, Base64.getEncoder().encodeToString(bytes)))
        .build());
    published.squatter().ifPresent(squatter -> {
      String message = squatter.describe() + ". It is not the built-in source of " + flow.flowName()
          + " and is never read: version " + version + " reads ConfigMap " + published.name() + " instead.";
      LOG.warn(message);
      events.warning(squatter.configMap(), "UnverifiedConfigMap", message);
    });

    WorkflowVersion wv = new WorkflowVersion();
    wv.getMetadata().setName(version);
    wv.getMetadata().setNamespace(namespace);
    wv.getMetadata().setLabels(labels);
    wv.getSpec().setWorkflow(flow.workflowName());
    wv.getSpec().setSourceRef(new ConfigMapKeyRef(published.name(), FlowSource.FILE_NAME));
    wv.getSpec().setDescription("built-in flow " + flow.flowName() + " (" + digest + ")");
    boolean newVersion = createIfAbsent(wv);

    return flow.workflowName() + " in " + namespace + ": version " + version + (newVersion ? " created" : " exists")
        + ", workflow " + ensureWorkflow(namespace, flow, version, labels);
  }

  private String ensureWorkflow(String namespace, BuiltinFlow flow, String version, Map<String, String> labels) {
    for (int attempt = 0; attempt < 3; attempt++) {
      Workflow existing = client.resources(Workflow.class).inNamespace(namespace).withName(flow.workflowName()).get();
      if (existing == null) {
        Workflow wf = new Workflow();
        wf.getMetadata().setName(flow.workflowName());
        wf.getMetadata().setNamespace(namespace);
        wf.getMetadata().setLabels(labels);
        wf.setSpec(builtinSpec(flow, version));
        wf.getMetadata().setAnnotations(new LinkedHashMap<>(Map.of(SEEDED_SPEC, specHash(wf.getSpec()))));
        if (createIfAbsent(wf)) {
          return "created";
        }
        continue; // another replica created it; look again
      }
      if (version.equals(existing.getSpec().getCurrentVersion())) {
        return "already runs it";
      }
      String recorded = existing.getMetadata().getAnnotations() == null ? null : existing.getMetadata().getAnnotations().get(SEEDED_SPEC);
      if (recorded == null || !recorded.equals(specHash(existing.getSpec())) || !pointsAtBuiltinVersion(namespace, existing)) {
        return "kept as the user left it (pinned to " + existing.getSpec().getCurrentVersion() + ")";
      }
      existing.getSpec().setCurrentVersion(version);
      existing.getMetadata().getAnnotations().put(SEEDED_SPEC, specHash(existing.getSpec()));
      try {
        client.resource(existing).update(); // carries resourceVersion: fails if anyone changed it since we read it
        return "moved from its previous built-in version to " + version;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
    }
    return "left alone (it kept changing while seeding)";
  }

  private boolean pointsAtBuiltinVersion(String namespace, Workflow workflow) {
    WorkflowVersion current = client.resources(WorkflowVersion.class).inNamespace(namespace).withName(workflow.getSpec().getCurrentVersion()).get();
    return current != null && current.getMetadata().getLabels() != null && "true".equals(current.getMetadata().getLabels().get(Labels.BUILTIN));
  }

  private WorkflowSpec builtinSpec(BuiltinFlow flow, String version) {
    WorkflowSpec spec = new WorkflowSpec();
    spec.setCurrentVersion(version);
    spec.setDescription(flow.description());
    if (flow.callsModel()) {
      spec.setLlm(new LlmSettings()); // the namespace's LLM Secret, as it is
    }
    if (flow.discoversServices()) {
      spec.setDiscoverServices(true); // the operator hands over the Services: the Pod needs no API token
    }
    return spec;
  }

  public static String specHash(WorkflowSpec spec) {
    try {
      byte[] json = JSON.writeValueAsBytes(spec);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)).substring(0, 16);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates the object; false when it already exists (never touched then). */
  private boolean createIfAbsent(HasMetadata object) {
    try {
      client.resource(object).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw e;
    }
  }
}
