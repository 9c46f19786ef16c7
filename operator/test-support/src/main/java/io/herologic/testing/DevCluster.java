package io.herologic.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One cluster for a test run. Uses {@code KUBECONFIG} when the user set it; otherwise starts
 * devcluster with {@code make -C devcluster up} in {@code target/devcluster} and stops it at the end.
 */
public final class DevCluster implements AutoCloseable {
  private final Path repoRoot;
  private final Path kubeconfig;
  private final Path stateDir;
  private final KubernetesClient client;

  private DevCluster(Path repoRoot, Path kubeconfig, Path stateDir) {
    this.repoRoot = repoRoot;
    this.kubeconfig = kubeconfig;
    this.stateDir = stateDir;
    this.client = new KubernetesClientBuilder().withConfig(configFrom(kubeconfig)).build();
  }

  static DevCluster start() {
    Path root = findRepoRoot();
    String fromEnv = System.getenv("KUBECONFIG");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new DevCluster(root, Path.of(fromEnv.split(java.io.File.pathSeparator)[0]), null);
    }
    Path state = root.resolve("target/devcluster-" + ProcessHandle.current().pid());
    run(root, List.of("make", "-s", "-C", root.resolve("devcluster").toString(), "up", "STATE_DIR=" + state), 600);
    return new DevCluster(root, state.resolve("kubeconfig"), state);
  }

  public KubernetesClient client() {
    return client;
  }

  /** The kubeconfig file, for processes a test starts (the operator, kubectl). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  public Path repoRoot() {
    return repoRoot;
  }

  /** Applies every CRD in crds/ (server-side apply, so it is idempotent) and waits until they are served. */
  public void installCrds() {
    installCrds(client, repoRoot);
  }

  /** The same for any client (a benchmark's, say, that counts its own requests). */
  public static void installCrds(KubernetesClient client, Path repoRoot) {
    try (Stream<Path> files = Files.list(repoRoot.resolve("crds"))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).sorted().toList()) {
        try (var in = Files.newInputStream(file)) {
          var crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
          client.resource(crd).forceConflicts().serverSideApply();
          client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
              .waitUntilCondition(c -> c.getStatus() != null && c.getStatus().getConditions() != null
                  && c.getStatus().getConditions().stream().anyMatch(k -> "Established".equals(k.getType()) && "True".equals(k.getStatus())),
                  60, TimeUnit.SECONDS);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Installs the chart's ValidatingAdmissionPolicies and their bindings ({@code templates/admission.yaml}),
   * rendered by helm for {@code release} with {@code helmValues}, by server-side apply (idempotent; the API
   * server refuses an expression that does not compile), and waits until the cluster's policy controller has
   * type-checked every policy: any warning it reports fails here. (It knows no schema for custom resources,
   * so it cannot see a misspelt field of a Play; AdmissionIT does.) The names are cluster-wide and start with
   * the release's full name. Returns what was applied, for {@link #uninstall}.
   */
  public List<HasMetadata> installAdmissionPolicies(String release, List<String> helmValues) {
    String yaml = HelmTemplate.render(repoRoot, release, "default", List.of("templates/admission.yaml"), helmValues);
    List<HasMetadata> objects = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    if (objects.isEmpty()) {
      throw new IllegalStateException("helm rendered no admission policies for release " + release + " with " + helmValues);
    }
    for (HasMetadata object : objects) {
      client.resource(object).forceConflicts().serverSideApply();
    }
    for (HasMetadata object : objects) {
      if (object instanceof ValidatingAdmissionPolicy policy) {
        awaitTypeChecked(policy.getMetadata().getName());
      }
    }
    return objects;
  }

  /** Deletes cluster-scoped objects a test installed (admission policies, say), so later tests do not meet them. */
  public void uninstall(List<HasMetadata> objects) {
    for (HasMetadata object : objects) {
      client.resource(object).delete();
    }
  }

  private void awaitTypeChecked(String name) {
    var checked = client.resources(ValidatingAdmissionPolicy.class).withName(name).waitUntilCondition(
        p -> p != null && p.getStatus() != null && Objects.equals(p.getStatus().getObservedGeneration(), p.getMetadata().getGeneration()),
        60, TimeUnit.SECONDS);
    var typeChecking = checked.getStatus().getTypeChecking();
    if (typeChecking != null && typeChecking.getExpressionWarnings() != null && !typeChecking.getExpressionWarnings().isEmpty()) {
      StringBuilder warnings = new StringBuilder();
      typeChecking.getExpressionWarnings().forEach(w -> warnings.append("\n  ").append(w.getFieldRef()).append(": ").append(w.getWarning()));
      throw new IllegalStateException("the API server type-checked ValidatingAdmissionPolicy " + name + " with warnings:" + warnings);
    }
  }

  @Override
  public void close() {
    client.close();
    if (stateDir != null) {
      run(repoRoot, List.of("make", "-s", "-C", repoRoot.resolve("devcluster").toString(), "down", "STATE_DIR=" + stateDir), 120);
    }
  }

  static Config configFrom(Path kubeconfig) {
    try {
      return Config.fromKubeconfig(Files.readString(kubeconfig));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read kubeconfig " + kubeconfig, e);
    }
  }

  /** The repository root: from -Dherologic.repo.root, else the first parent holding devcluster/Makefile. */
  static Path findRepoRoot() {
    String configured = System.getProperty("herologic.repo.root");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("devcluster/Makefile"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root (a folder with devcluster/Makefile) above " + Path.of("").toAbsolutePath());
  }

  /** Runs a command to its end, its output going to ours; fails on a non-zero exit or the timeout. */
  public static void run(Path dir, List<String> command, int timeoutSeconds) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutSeconds + "s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + p.exitValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
