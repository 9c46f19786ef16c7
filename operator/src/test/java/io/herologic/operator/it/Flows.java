package io.herologic.operator.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.testing.DevCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;

/** Creating flows and Plays the way a user's manifests would, and waiting on them. */
final class Flows {
  private Flows() {}

  /** How EventRecorder writes a held Event it folded into a later one: " (Started 2026-12-01T05:10:00Z: ...)". */
  private static final Pattern FOLDED = Pattern.compile(" \\(([A-Z][A-Za-z]+) \\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z: ");

  /**
   * The reasons of the Events about Play {@code play}, in no particular order. An Event that took in
   * a held one (a short Play's Succeeded took in its Started) counts for both reasons.
   */
  static List<String> eventReasons(KubernetesClient client, String namespace, String play) {
    List<String> reasons = new ArrayList<>();
    client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> play.equals(e.getInvolvedObject().getName()) && "Play".equals(e.getInvolvedObject().getKind()))
        .forEach(e -> {
          reasons.add(e.getReason());
          Matcher folded = FOLDED.matcher(e.getMessage());
          while (folded.find()) {
            reasons.add(folded.group(1));
          }
        });
    return reasons;
  }

  static String builtinSource(DevCluster cluster, String flow) {
    try {
      return Files.readString(cluster.repoRoot().resolve("flows/builtin/" + flow + ".py"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A Workflow named {@code name} pinned to a new inline WorkflowVersion {@code name-v1} holding {@code source}. */
  static void install(KubernetesClient client, String namespace, String name, String source) {
    install(client, namespace, name, source, spec -> { });
  }

  /** Like {@link #install(KubernetesClient, String, String, String)}, with more Workflow settings (service account, LLM...). */
  static void install(KubernetesClient client, String namespace, String name, String source,
      java.util.function.Consumer<io.herologic.model.WorkflowSpec> workflowSettings) {
    WorkflowVersion version = new WorkflowVersion();
    version.getMetadata().setName(name + "-v1");
    version.getMetadata().setNamespace(namespace);
    version.getSpec().setWorkflow(name);
    version.getSpec().setSource(source);
    client.resource(version).create();
    Workflow workflow = new Workflow();
    workflow.getMetadata().setName(name);
    workflow.getMetadata().setNamespace(namespace);
    workflow.getSpec().setCurrentVersion(name + "-v1");
    workflowSettings.accept(workflow.getSpec());
    client.resource(workflow).create();
  }

  static Play play(KubernetesClient client, String namespace, String name, String workflow, Map<String, ?> inputs) {
    return play(client, namespace, name, workflow, inputs, spec -> { });
  }

  /** A Play with more settings (deadline, TTL, cancel...). */
  static Play play(KubernetesClient client, String namespace, String name, String workflow, Map<String, ?> inputs,
      java.util.function.Consumer<io.herologic.model.PlaySpec> settings) {
    Play play = new Play();
    play.getMetadata().setName(name);
    play.getMetadata().setNamespace(namespace);
    play.getSpec().setWorkflow(workflow);
    if (inputs != null) {
      play.getSpec().setInputs(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(inputs));
    }
    settings.accept(play.getSpec());
    return client.resource(play).create();
  }

  static Play get(KubernetesClient client, String namespace, String name) {
    return client.resources(Play.class).inNamespace(namespace).withName(name).get();
  }

  static Play awaitPlay(KubernetesClient client, String namespace, String name, Duration timeout, Predicate<Play> condition) {
    return Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> get(client, namespace, name), p -> p != null && condition.test(p));
  }

  static Play awaitPhase(KubernetesClient client, String namespace, String name, PlayPhase phase) {
    return awaitPlay(client, namespace, name, Duration.ofSeconds(60), p -> p.getStatus().getPhase() == phase);
  }

  static Play awaitFinal(KubernetesClient client, String namespace, String name) {
    return awaitPlay(client, namespace, name, Duration.ofSeconds(90), p -> p.getStatus().getPhase() != null && p.getStatus().getPhase().isFinal());
  }

  static ObjectNode json(String text) {
    try {
      return (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
