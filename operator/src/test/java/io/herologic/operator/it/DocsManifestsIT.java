package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.WorkflowVersion;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The documented manifests work as written, so they cannot rot: the files under docs/first-flow are applied with
 * kubectl and run, and every ```yaml block of README.md and docs/**.md passes a server-side dry run.
 */
@DevClusterTest
class DocsManifestsIT {
  /** A documented snippet that is not a whole object (a bare {@code spec:}) starts with this line and is not applied. */
  static final String FRAGMENT_MARKER = "# fragment";
  private static final Pattern YAML_BLOCK = Pattern.compile("(?m)^```yaml\\n(.*?)^```", Pattern.DOTALL);
  /** A README block that starts with {@code # docs/first-flow/...} shows that file and must be exactly it. */
  private static final Pattern SHOWN_FILE = Pattern.compile("\\A# (docs/\\S+\\.yaml)");

  private KubernetesClient client;
  private DevCluster cluster;
  private String ns;
  private Path firstFlow;

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
    this.firstFlow = cluster.repoRoot().resolve("docs/first-flow");
  }

  @Test
  void theFirstFlowManifestsRunRollOutAndCancelAsDocumented() throws IOException {
    List<Path> manifests;
    try (Stream<Path> files = Files.list(firstFlow)) {
      manifests = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertEquals(5, manifests.size(), manifests.toString());
    for (Path manifest : manifests) {
      kubectl(null, "apply", "-n", ns, "-f", manifest.toString());
    }

    awaitReady("my-flow-v1");
    WorkflowVersion fromConfigMap = awaitReady("my-flow-v1-from-configmap");
    assertEquals("my-flow", fromConfigMap.getStatus().getFlowName());
    Play first = Flows.awaitFinal(client, ns, "my-flow-first");
    assertEquals(PlayPhase.Succeeded, first.getStatus().getPhase(), first.getStatus().getMessage());
    assertEquals("my-flow-v1", first.getStatus().getWorkflowVersion());
    assertEquals("Hello, Ada!", first.getStatus().getOutput().get("greeting").asText());
    assertEquals(1, first.getStatus().getOutput().get("version").asInt());

    // Rolling out v2 exactly as the README says: the version exists (05), then the Workflow's pin moves.
    awaitReady("my-flow-v2");
    kubectl(null, "patch", "workflow", "my-flow", "-n", ns, "--type", "merge", "-p", "{\"spec\":{\"currentVersion\":\"my-flow-v2\"}}");
    Flows.play(client, ns, "after-rollout", "my-flow", Map.of("name", "Ada"));
    Play second = Flows.awaitFinal(client, ns, "after-rollout");
    assertEquals(PlayPhase.Succeeded, second.getStatus().getPhase(), second.getStatus().getMessage());
    assertEquals("my-flow-v2", second.getStatus().getWorkflowVersion());
    assertEquals(2, second.getStatus().getOutput().get("version").asInt());
    assertEquals("my-flow-v1", Flows.get(client, ns, "my-flow-first").getStatus().getWorkflowVersion(), "a finished Play keeps its version");

    // Cancelling with the documented command.
    Flows.play(client, ns, "long", "my-flow", Map.of("seconds", 300));
    Flows.awaitPhase(client, ns, "long", PlayPhase.Running);
    kubectl(null, "patch", "play", "long", "-n", ns, "--type", "merge", "-p", "{\"spec\":{\"cancel\":true}}");
    assertEquals(PlayPhase.Cancelled, Flows.awaitFinal(client, ns, "long").getStatus().getPhase());

    String wide = kubectl(null, "get", "plays", "-o", "wide", "-n", ns);
    for (String expected : List.of("my-flow-first", "after-rollout", "long", "my-flow-v1", "my-flow-v2", "Succeeded", "Cancelled")) {
      assertTrue(wide.contains(expected), "kubectl get plays -o wide shows " + expected + ":\n" + wide);
    }
  }

  @Test
  void theGitOpsLayoutRendersWithKustomizeAndRunsItsPinnedVersion() {
    String rendered = kubectl(null, "kustomize", firstFlow.resolve("gitops").toString());
    kubectl(rendered, "apply", "-n", ns, "-f", "-");
    assertEquals("greeter", awaitReady("greeter-v1").getStatus().getFlowName());
    assertEquals("greeter", awaitReady("greeter-v2").getStatus().getFlowName());
    Flows.play(client, ns, "gitops", "greeter", Map.of("name", "Ada"));
    Play play = Flows.awaitFinal(client, ns, "gitops");
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals("greeter-v2", play.getStatus().getWorkflowVersion());
    assertEquals("Hi, Ada!", play.getStatus().getOutput().get("greeting").asText());
  }

  @Test
  void everyYamlBlockInTheDocsPassesAServerSideDryRun() throws IOException {
    List<Path> documents = new ArrayList<>(List.of(cluster.repoRoot().resolve("README.md")));
    try (Stream<Path> docs = Files.walk(cluster.repoRoot().resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    List<String> failures = new ArrayList<>();
    List<String> shownFiles = new ArrayList<>();
    int dryRuns = 0;
    for (Path document : documents) {
      String text = Files.readString(document);
      Matcher block = YAML_BLOCK.matcher(text);
      while (block.find()) {
        String yaml = block.group(1);
        String where = cluster.repoRoot().relativize(document) + ":" + lineOf(text, block.start());
        if (yaml.startsWith(FRAGMENT_MARKER)) {
          continue;
        }
        Matcher shown = SHOWN_FILE.matcher(yaml);
        if (shown.find()) {
          shownFiles.add(shown.group(1));
          if (!yaml.equals(Files.readString(cluster.repoRoot().resolve(shown.group(1))))) {
            failures.add(where + ": the block differs from the file it shows, " + shown.group(1));
          }
        }
        try {
          kubectl(inTestNamespace(yaml), "apply", "--dry-run=server", "--validate=strict", "-n", ns, "-f", "-");
          dryRuns++;
        } catch (IllegalStateException e) {
          failures.add(where + ": " + e.getMessage());
        }
      }
    }
    assertEquals(List.of(), failures);
    assertEquals(List.of("docs/first-flow/01-version-inline.yaml", "docs/first-flow/02-version-configmap.yaml",
        "docs/first-flow/03-workflow.yaml", "docs/first-flow/04-play.yaml"), shownFiles, "the README shows these files");
    assertTrue(dryRuns > shownFiles.size(), "the README's other manifests were dry-run too: " + dryRuns);
  }

  /** The block's objects, any namespace they name replaced by the test's, so examples for "team-a" can be dry-run here. */
  private String inTestNamespace(String yaml) {
    return Stream.of(yaml.split("(?m)^---\\s*$"))
        .filter(document -> !document.isBlank())
        .map(document -> {
          GenericKubernetesResource object = client.getKubernetesSerialization().unmarshal(document, GenericKubernetesResource.class);
          if (object.getMetadata() != null && object.getMetadata().getNamespace() != null) {
            object.getMetadata().setNamespace(ns);
          }
          return client.getKubernetesSerialization().asYaml(object);
        })
        .collect(Collectors.joining("\n---\n"));
  }

  private WorkflowVersion awaitReady(String name) {
    return Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> client.resources(WorkflowVersion.class).inNamespace(ns).withName(name).get(),
            v -> v != null && v.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
  }

  private static int lineOf(String text, int offset) {
    return (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
  }

  /** Runs kubectl against the devcluster with {@code stdin} (or none) and returns its output; fails with that output. */
  private String kubectl(String stdin, String... args) {
    List<String> command = new ArrayList<>(List.of("kubectl"));
    command.addAll(List.of(args));
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().put("KUBECONFIG", cluster.kubeconfig().toString());
      Process process = builder.start();
      try (var in = process.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
