package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.ServiceAccountKubeconfig;
import io.herologic.testing.TestNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl herologic}, installed by {@code make kubectl-plugin} into a directory put on PATH, drives Plays on
 * devcluster with nothing but the kubeconfig: run (with the inputs typed by the flow's declaration), tree, logs,
 * rerun and cancel.
 */
@DevClusterTest
class KubectlPluginIT {
  private static final Pattern CREATED = Pattern.compile("play/(\\S+) created");
  private static final String SLEEPER = """
      import time
      from herologic import flow, step

      @flow(name="sleeper", inputs={"seconds": {"type": "integer", "default": 300}})
      def sleeper(seconds):
          with step("sleep"):
              time.sleep(seconds)
      """;

  private static Path pluginDir;
  private KubernetesClient client;
  private DevCluster cluster;
  private String ns;

  /** The plugin built and installed exactly as the README says, into a directory of its own (once per class). */
  private static synchronized void install(DevCluster cluster) throws IOException {
    if (pluginDir == null) {
      Path dir = Files.createTempDirectory("kubectl-plugin");
      DevCluster.run(cluster.repoRoot(), List.of("make", "-s", "kubectl-plugin", "PLUGIN_DIR=" + dir), 120);
      pluginDir = dir;
    }
  }

  @BeforeEach
  void operator(DevCluster cluster, KubernetesClient client, TestNamespace namespace) throws IOException {
    install(cluster);
    OperatorProcess.running(cluster);
    this.cluster = cluster;
    this.client = client;
    this.ns = namespace.name();
  }

  @Test
  void runTreeLogsAndRerunAHelloPlay() {
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));

    Result run = plugin("herologic", "run", "hello", "--input", "name=x", "-n", ns, "--wait", "--timeout", "150");
    assertEquals(0, run.exit(), run.output());
    String name = createdName(run.output());
    assertTrue(name.startsWith("hello-"), name);
    assertTrue(run.output().contains("Succeeded") && run.output().contains("Hello, x!"), "--wait drew the final tree:\n" + run.output());
    Play play = Flows.get(client, ns, name);
    assertEquals(PlayPhase.Succeeded, play.getStatus().getPhase(), play.getStatus().getMessage());
    assertEquals("x", play.getSpec().getInputs().get("name").asText());

    Result tree = plugin("herologic", "tree", name, "-n", ns);
    assertEquals(0, tree.exit(), tree.output());
    for (String expected : List.of("Play " + name, "Succeeded", "prepare", "count", "greet", "Hello, x!")) {
      assertTrue(tree.output().contains(expected), "the tree shows " + expected + ":\n" + tree.output());
    }

    Result logs = plugin("herologic", "logs", name, "-n", ns);
    assertEquals(0, logs.exit(), logs.output());
    assertTrue(logs.output().contains("[hello/greet] Hello, x!"), logs.output());

    // A string input that looks like a number stays a string, because the plugin reads the flow's declaration:
    // sent as 42 the operator would fail the Play for the wrong type.
    Result typed = plugin("herologic", "run", "hello", "-i", "name=42", "-n", ns, "-w", "--timeout", "150");
    assertEquals(0, typed.exit(), typed.output());
    assertEquals("42", Flows.get(client, ns, createdName(typed.output())).getSpec().getInputs().get("name").textValue());

    Result rerun = plugin("herologic", "rerun", name, "-n", ns, "--wait", "--timeout", "150");
    assertEquals(0, rerun.exit(), rerun.output());
    Play again = Flows.get(client, ns, createdName(rerun.output()));
    assertEquals(name, again.getMetadata().getAnnotations().get("herologic.io/rerun-of"));
    assertEquals("hello-v1", again.getSpec().getVersion(), "a rerun runs the version the Play ran");
    assertEquals("x", again.getSpec().getInputs().get("name").asText());
    assertEquals(PlayPhase.Succeeded, again.getStatus().getPhase());

    Result missing = plugin("herologic", "run", "no-such-flow", "-n", ns);
    assertEquals(1, missing.exit(), missing.output());
    assertTrue(missing.output().contains("no-such-flow") && missing.output().contains("not found"), missing.output());
  }

  @Test
  void cancelStopsARunningPlayWithTheCallersOwnRights() {
    Flows.install(client, ns, "sleeper", SLEEPER);
    Result run = plugin("herologic", "run", "sleeper", "-n", ns);
    assertEquals(0, run.exit(), run.output());
    String name = createdName(run.output());
    Flows.awaitPhase(client, ns, name, PlayPhase.Running);

    // Someone who may only read Plays can follow it with the plugin, and is refused a cancel by the API server.
    Path viewer = viewerKubeconfig();
    Result watched = plugin("herologic", "tree", name, "-n", ns, "--kubeconfig", viewer.toString());
    assertEquals(0, watched.exit(), watched.output());
    assertTrue(watched.output().contains("Play " + name) && watched.output().contains("Running"), watched.output());
    Result refused = plugin("herologic", "--kubeconfig", viewer.toString(), "cancel", name, "-n", ns);
    assertEquals(1, refused.exit(), refused.output());
    assertTrue(refused.output().contains("forbidden") && refused.output().contains("system:serviceaccount:" + ns + ":viewer"),
        refused.output());
    assertEquals(PlayPhase.Running, Flows.get(client, ns, name).getStatus().getPhase(), "the refused cancel changed nothing");
    assertTrue(!Flows.get(client, ns, name).getSpec().isCancelRequested(), "spec.cancel is still unset");

    Result cancel = plugin("herologic", "cancel", name, "-n", ns);
    assertEquals(0, cancel.exit(), cancel.output());
    assertTrue(cancel.output().contains("play/" + name + " cancel requested"), cancel.output());
    assertEquals(PlayPhase.Cancelled, Flows.awaitFinal(client, ns, name).getStatus().getPhase());

    Result twice = plugin("herologic", "cancel", name, "-n", ns);
    assertEquals(0, twice.exit(), twice.output());
    assertTrue(twice.output().contains("already ended (Cancelled)"), twice.output());
  }

  /** A kubeconfig of the ServiceAccount {@code viewer}, which may get, list and watch Plays in the test namespace only. */
  private Path viewerKubeconfig() {
    client.serviceAccounts().inNamespace(ns).resource(new ServiceAccountBuilder().withNewMetadata().withName("viewer").endMetadata().build())
        .create();
    client.rbac().roles().inNamespace(ns).resource(new RoleBuilder().withNewMetadata().withName("play-viewer").endMetadata()
        .addNewRule().withApiGroups("herologic.io").withResources("plays").withVerbs("get", "list", "watch").endRule().build()).create();
    client.rbac().roleBindings().inNamespace(ns).resource(new RoleBindingBuilder().withNewMetadata().withName("viewer").endMetadata()
        .withNewRoleRef().withApiGroup("rbac.authorization.k8s.io").withKind("Role").withName("play-viewer").endRoleRef()
        .addNewSubject().withKind("ServiceAccount").withName("viewer").withNamespace(ns).endSubject().build()).create();
    return ServiceAccountKubeconfig.write(client, cluster.kubeconfig(), ns, "viewer", 3600L,
        Path.of("target", "kubectl-plugin-viewer-" + ns + ".kubeconfig"));
  }

  private static String createdName(String output) {
    Matcher created = CREATED.matcher(output);
    assertTrue(created.find(), "the plugin names the Play it created:\n" + output);
    return created.group(1);
  }

  record Result(int exit, String output) {}

  /** {@code kubectl ARGS} with the plugin's directory first on PATH and the devcluster's kubeconfig; stdout and stderr together. */
  private Result plugin(String... args) {
    List<String> command = new ArrayList<>(List.of("kubectl"));
    command.addAll(List.of(args));
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      Map<String, String> env = builder.environment();
      env.put("KUBECONFIG", cluster.kubeconfig().toString());
      env.put("PATH", pluginDir + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
      Process process = builder.start();
      process.getOutputStream().close();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(180, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish:\n" + output);
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
