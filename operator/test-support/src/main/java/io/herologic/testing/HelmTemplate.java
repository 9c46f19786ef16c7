package io.herologic.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The repository's Helm chart rendered by the pinned helm ({@code helm/test/helm.sh template}), as the tests apply it. */
public final class HelmTemplate {
  /** Stands in for the operator image that the chart requires; no test runs it. */
  private static final String TEST_IMAGE = "hero-logic-operator-under-test";

  private HelmTemplate() {}

  /**
   * {@code helm template <release> helm/hero-logic --namespace <namespace> --show-only <template>... <values>...};
   * fails with helm's error output. The first call may build helm from the Go module proxy (a minute or two).
   */
  public static String render(Path repoRoot, String release, String namespace, List<String> templates, List<String> values) {
    List<String> command = new ArrayList<>(List.of("bash", repoRoot.resolve("helm/test/helm.sh").toString(),
        "template", release, repoRoot.resolve("helm/hero-logic").toString(), "--namespace", namespace));
    for (String template : templates) {
      command.add("--show-only");
      command.add(template);
    }
    // The chart refuses to render without an operator image (it has no default). The tests run the
    // operator as a local process, never the chart's Deployment, so any name does; values may override it.
    command.addAll(List.of("--set", "image.repository=" + TEST_IMAGE));
    command.addAll(values);
    try {
      Path err = Files.createTempFile("helm", ".err");
      try {
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        if (p.exitValue() != 0) {
          throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(err));
        }
        return out;
      } finally {
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
