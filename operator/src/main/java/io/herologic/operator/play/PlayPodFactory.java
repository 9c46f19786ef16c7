package io.herologic.operator.play;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.herologic.model.FlowInput;
import io.herologic.model.LlmSettings;
import io.herologic.model.Play;
import io.herologic.model.SecretKeyRef;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.flowsource.FlowSource;
import io.herologic.operator.kube.Labels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Pod that runs one Play: a stock Python image with the SDK and the flow source mounted from
 * ConfigMaps, the inputs in an annotation of the Pod itself that a downwardAPI volume turns into a
 * file (see {@link #INPUTS_ANNOTATION}), the restricted Pod Security profile, no API token unless
 * the Workflow names a service account, and LLM settings only for Workflows that declare they call
 * a model. Nothing in it is specific to the local dev cluster.
 */
public final class PlayPodFactory {
  public static final String SDK_PATH = "/opt/herologic";
  public static final String FLOW_DIR = "/flow";
  public static final String RUN_DIR = "/etc/herologic/run";
  public static final String INPUTS_FILE = "inputs.json";
  /**
   * The effective inputs (declared defaults applied) as compact JSON, mounted at
   * {@link #RUN_DIR}/{@link #INPUTS_FILE} by a downwardAPI volume. In the Pod itself, so launching
   * is one create, as for a Job, instead of a Secret and then a Pod; a file, so the size is not
   * bound by an environment variable's 128 KiB. The API server holds a Pod's annotations to 256 KiB
   * together, hence {@link InputValidator#MAX_BYTES}. Whoever may read the Play or its Pod reads them.
   */
  public static final String INPUTS_ANNOTATION = "herologic.io/inputs";

  private PlayPodFactory() {}

  /**
   * What the factory needs to know besides the Play. {@code services} is what HEROLOGIC_SERVICES
   * carries for a Workflow with discoverServices (null for others); {@code attempt} is 1 for the
   * first run, 2 for the first retry and so on.
   */
  public record Inputs(Play play, Workflow workflow, WorkflowVersion version, String sdkConfigMap, String traceId,
      String services, OperatorConfig config, int attempt) {
    public Inputs(Play play, Workflow workflow, WorkflowVersion version, String sdkConfigMap, String traceId,
        String services, OperatorConfig config) {
      this(play, workflow, version, sdkConfigMap, traceId, services, config, 1);
    }
  }

  private static Map<String, String> labels(Inputs in) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    labels.put(Labels.PLAY, Labels.value(in.play().getMetadata().getName()));
    labels.put(Labels.WORKFLOW, Labels.value(in.workflow().getMetadata().getName()));
    labels.put(Labels.VERSION, Labels.value(in.version().getMetadata().getName()));
    return labels;
  }

  private static OwnerReference owner(Play play) {
    return new OwnerReferenceBuilder()
        .withApiVersion(play.getApiVersion()).withKind(play.getKind()).withName(play.getMetadata().getName())
        .withUid(play.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
        .build();
  }

  public static Pod build(Inputs in) {
    Play play = in.play();
    Workflow workflow = in.workflow();
    long user = in.config().flowUser();
    String serviceAccount = workflow.getSpec().getServiceAccountName();
    return new PodBuilder()
        .withNewMetadata()
          .withName(PlayNames.pod(play, in.attempt()))
          .withNamespace(play.getMetadata().getNamespace())
          .withLabels(labels(in))
          .withAnnotations(annotations(in))
          .withOwnerReferences(owner(play))
        .endMetadata()
        .withNewSpec()
          .withRestartPolicy("Never")
          .withActiveDeadlineSeconds(timeoutSeconds(in))
          .withTerminationGracePeriodSeconds(10L)
          .withEnableServiceLinks(false)
          .withServiceAccountName(serviceAccount)
          .withAutomountServiceAccountToken(serviceAccount != null)
          .withNewSecurityContext()
            .withRunAsNonRoot(true).withRunAsUser(user).withRunAsGroup(user).withFsGroup(user)
            .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
          .endSecurityContext()
          .addNewContainer()
            .withName(PlayNames.CONTAINER)
            .withImage(image(in))
            .withImagePullPolicy("IfNotPresent")
            .withCommand("python3", "-u", "-m", "herologic.runner", FLOW_DIR + "/" + FlowSource.FILE_NAME)
            .withWorkingDir("/tmp")
            .withEnv(env(in))
            .withResources(resources(in))
            .withNewSecurityContext()
              .withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true).withRunAsNonRoot(true)
              .withNewCapabilities().withDrop("ALL").endCapabilities()
            .endSecurityContext()
            .addNewVolumeMount().withName("sdk").withMountPath(SDK_PATH + "/herologic").withReadOnly(true).endVolumeMount()
            .addNewVolumeMount().withName("flow").withMountPath(FLOW_DIR).withReadOnly(true).endVolumeMount()
            .addNewVolumeMount().withName("run").withMountPath(RUN_DIR).withReadOnly(true).endVolumeMount()
            .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
          .endContainer()
          .addNewVolume().withName("sdk").withNewConfigMap().withName(in.sdkConfigMap()).endConfigMap().endVolume()
          .addNewVolume().withName("flow").withNewConfigMap().withName(in.version().getStatus().getSourceConfigMap())
            .addNewItem().withKey(FlowSource.FILE_NAME).withPath(FlowSource.FILE_NAME).endItem().endConfigMap().endVolume()
          .addNewVolume().withName("run").withNewDownwardAPI()
            .addNewItem().withPath(INPUTS_FILE).withNewFieldRef().withFieldPath("metadata.annotations['" + INPUTS_ANNOTATION + "']").endFieldRef().endItem()
          .endDownwardAPI().endVolume()
          .addNewVolume().withName("tmp").withNewEmptyDir().withSizeLimit(new Quantity("256Mi")).endEmptyDir().endVolume()
        .endSpec()
        .build();
  }

  /** What the Pod records of its launch ({@link Launch}) and its inputs. */
  private static Map<String, String> annotations(Inputs in) {
    Map<String, String> annotations = Launch.of(in.version(), in.traceId()).annotations();
    annotations.put(INPUTS_ANNOTATION, effectiveInputs(in));
    return annotations;
  }

  /** The inputs the flow reads: the Play's, with the version's declared defaults applied. */
  private static String effectiveInputs(Inputs in) {
    return InputValidator.effective(in.play().getSpec().getInputs(), in.version().getStatus().getInputs()).toString();
  }

  static long timeoutSeconds(Inputs in) {
    if (in.play().getSpec().getTimeoutSeconds() != null) {
      return in.play().getSpec().getTimeoutSeconds();
    }
    if (in.workflow().getSpec().getTimeoutSeconds() != null) {
      return in.workflow().getSpec().getTimeoutSeconds();
    }
    return in.config().defaultTimeoutSeconds();
  }

  static String image(Inputs in) {
    if (in.play().getSpec().getImage() != null) {
      return in.play().getSpec().getImage();
    }
    if (in.workflow().getSpec().getImage() != null) {
      return in.workflow().getSpec().getImage();
    }
    return in.config().flowImage();
  }

  private static List<EnvVar> env(Inputs in) {
    Play play = in.play();
    List<EnvVar> env = new ArrayList<>();
    env.add(value("PYTHONPATH", SDK_PATH));
    env.add(value("PYTHONUNBUFFERED", "1"));
    env.add(value("PYTHONDONTWRITEBYTECODE", "1"));
    env.add(value("HOME", "/tmp"));
    env.add(value("HEROLOGIC_INPUTS_FILE", RUN_DIR + "/" + INPUTS_FILE));
    env.add(value("HEROLOGIC_PLAY_NAME", play.getMetadata().getName()));
    env.add(value("HEROLOGIC_PLAY_NAMESPACE", play.getMetadata().getNamespace()));
    env.add(value("HEROLOGIC_PLAY_UID", play.getMetadata().getUid()));
    // play_run_async labels child Plays with it, so a child runs in its parent's shard.
    Optional.ofNullable(play.getMetadata().getLabels()).map(l -> l.get(Labels.SHARD))
        .ifPresent(shard -> env.add(value("HEROLOGIC_PLAY_SHARD", shard)));
    env.add(value("HEROLOGIC_WORKFLOW", in.workflow().getMetadata().getName()));
    env.add(value("HEROLOGIC_VERSION", in.version().getMetadata().getName()));
    env.add(value("HEROLOGIC_DIGEST", in.version().getStatus().getDigest()));
    env.add(value("HEROLOGIC_TRACE_ID", in.traceId()));
    // Lets a flow tell a retry from its first run (say, to resume instead of starting over).
    env.add(value("HEROLOGIC_ATTEMPT", String.valueOf(in.attempt())));
    if (in.workflow().getSpec().getLlm() != null) {
      // Only Workflows that declare a model get the namespace's key; every other flow Pod has none.
      env.addAll(llmEnv(play.getSpec().getLlm(), in.workflow().getSpec().getLlm(), in.config().llmSecretName()));
    }
    if (in.services() != null) {
      env.add(value("HEROLOGIC_SERVICES", in.services()));
    }
    return env;
  }

  /** Play settings win over the Workflow's, which win over the namespace's Secret (each key optional there). */
  static List<EnvVar> llmEnv(LlmSettings fromPlay, LlmSettings fromWorkflow, String namespaceSecret) {
    LlmSettings play = fromPlay == null ? new LlmSettings() : fromPlay;
    LlmSettings workflow = fromWorkflow == null ? new LlmSettings() : fromWorkflow;
    List<EnvVar> env = new ArrayList<>();
    env.add(value("HEROLOGIC_LLM_SECRET", namespaceSecret)); // so the flow's errors can name it
    env.add(firstOf("HEROLOGIC_LLM_BASE_URL", play.getBaseUrl(), workflow.getBaseUrl(), namespaceSecret, "baseUrl"));
    env.add(firstOf("HEROLOGIC_LLM_MODEL", play.getModel(), workflow.getModel(), namespaceSecret, "model"));
    SecretKeyRef key = play.getApiKeySecretRef() != null ? play.getApiKeySecretRef() : workflow.getApiKeySecretRef();
    env.add(key != null ? secret("HEROLOGIC_LLM_API_KEY", key.getName(), key.getKey(), false)
        : secret("HEROLOGIC_LLM_API_KEY", namespaceSecret, "apiKey", true));
    // Request settings: the Play's, else the Workflow's, else none (not sent; never from the Secret).
    Optional.ofNullable(play.getMaxTokens() != null ? play.getMaxTokens() : workflow.getMaxTokens())
        .ifPresent(n -> env.add(value("HEROLOGIC_LLM_MAX_TOKENS", n.toString())));
    Optional.ofNullable(play.getTemperature() != null ? play.getTemperature() : workflow.getTemperature())
        .ifPresent(t -> env.add(value("HEROLOGIC_LLM_TEMPERATURE", t.toString())));
    return env;
  }

  private static EnvVar firstOf(String name, String fromPlay, String fromWorkflow, String secret, String key) {
    if (fromPlay != null) {
      return value(name, fromPlay);
    }
    if (fromWorkflow != null) {
      return value(name, fromWorkflow);
    }
    return secret(name, secret, key, true);
  }

  private static EnvVar value(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }

  private static EnvVar secret(String name, String secret, String key, boolean optional) {
    return new EnvVarBuilder().withName(name)
        .withNewValueFrom().withNewSecretKeyRef().withName(secret).withKey(key).withOptional(optional).endSecretKeyRef().endValueFrom()
        .build();
  }

  /** The Play's, else its Workflow's, else the operator's (each whole: requests and limits are not mixed). */
  static ResourceRequirements resources(Inputs in) {
    if (in.play().getSpec().getResources() != null) {
      return in.play().getSpec().getResources();
    }
    if (in.workflow().getSpec().getResources() != null) {
      return in.workflow().getSpec().getResources();
    }
    return in.config().flowResources();
  }
}
