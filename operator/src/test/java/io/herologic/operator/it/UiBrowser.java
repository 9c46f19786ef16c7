package io.herologic.operator.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.testing.DevCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one scenario of {@code operator/src/test/ui/ui-check.mjs} (Playwright driving Debian's
 * chromium) against the operator, and reads its verdict. Installs the script's npm packages when
 * they are missing; a missing node or chromium fails the test with what to install.
 */
final class UiBrowser {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final Path SCREENSHOTS = Path.of("target", "ui-screenshots").toAbsolutePath();
  private static final int SCENARIO_TIMEOUT_SECONDS = 240;

  private final Path scripts;
  private final String chromium;

  private UiBrowser(Path scripts, String chromium) {
    this.scripts = scripts;
    this.chromium = chromium;
  }

  /** What a scenario reported: every check, metrics, and the screenshots it saved. */
  record Verdict(int exitCode, JsonNode report, String output) {
    boolean ok() {
      return exitCode == 0 && report != null && report.path("ok").asBoolean(false);
    }

    /** The failed checks and errors, for an assertion message. */
    String failures() {
      if (report == null) {
        return "the script printed no report (exit " + exitCode + "):\n" + output;
      }
      StringBuilder out = new StringBuilder("exit " + exitCode + "; failed:");
      for (JsonNode check : report.path("checks")) {
        if (!check.path("passed").asBoolean()) {
          out.append("\n  - ").append(check.path("what").asText());
          if (check.has("detail")) {
            out.append(": ").append(abbreviate(check.get("detail").toString(), 2000));
          }
        }
      }
      report.path("errors").forEach(e -> out.append("\n  ! ").append(abbreviate(e.asText(), 2000)));
      return out.toString();
    }

    JsonNode metrics() {
      return report == null ? JSON.createObjectNode() : report.path("metrics");
    }
  }

  static UiBrowser prepare(DevCluster cluster) {
    Path scripts = cluster.repoRoot().resolve("operator/src/test/ui");
    String chromium = firstNonBlank(System.getenv("CHROMIUM_PATH"), System.getProperty("herologic.chromium"), "/usr/bin/chromium");
    if (!Files.isExecutable(Path.of(chromium))) {
      throw new AssertionError("The UI tests need Chromium and there is none at " + chromium
          + ". Install it with: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary).");
    }
    Run node = run(scripts, List.of("node", "--version"), Map.of(), 30);
    if (node.exitCode() != 0) {
      throw new AssertionError("The UI tests need Node.js 20 or later (node --version failed):\n" + node.output());
    }
    if (!Files.isDirectory(scripts.resolve("node_modules/playwright-core"))) {
      Run install = run(scripts, List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 600);
      if (install.exitCode() != 0) {
        throw new AssertionError("npm ci in " + scripts + " failed:\n" + install.output());
      }
    }
    return new UiBrowser(scripts, chromium);
  }

  /**
   * Runs {@code scenario}; with a {@code token} the browser is signed in with it before the first
   * page loads (as after the login page), without one it starts signed out.
   */
  Verdict run(String scenario, String baseUrl, String token, Map<String, ?> params) {
    Map<String, String> env = new java.util.HashMap<>();
    try {
      env.putAll(Map.of("UI_BASE_URL", baseUrl, "UI_PARAMS", JSON.writeValueAsString(params),
          "UI_SCREENSHOTS", SCREENSHOTS.toString(), "CHROMIUM_PATH", chromium));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (token != null) {
      env.put("UI_TOKEN", token);
    }
    Run run = run(scripts, List.of("node", "ui-check.mjs", scenario), env, SCENARIO_TIMEOUT_SECONDS);
    JsonNode report = lastJsonLine(run.stdout());
    try {
      Files.createDirectories(SCREENSHOTS);
      Files.writeString(SCREENSHOTS.resolve(scenario + ".json"),
          report == null ? run.output() : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Verdict(run.exitCode(), report, run.output());
  }

  private record Run(int exitCode, String stdout, String output) {}

  private static Run run(Path dir, List<String> command, Map<String, String> env, int timeoutSeconds) {
    try {
      Path out = Files.createTempFile("ui-", ".out");
      Path err = Files.createTempFile("ui-", ".err");
      ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile());
      builder.environment().putAll(env);
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        return new Run(-1, "", command.get(0) + " could not be started: " + e.getMessage());
      }
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + "s:\n" + read(out) + read(err));
      }
      String stdout = read(out);
      String stderr = read(err);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      return new Run(process.exitValue(), stdout, stdout + (stderr.isEmpty() ? "" : "\n--- stderr ---\n" + stderr));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode lastJsonLine(String stdout) {
    String[] lines = stdout.strip().split("\n");
    for (int i = lines.length - 1; i >= 0; i--) {
      String line = lines[i].strip();
      if (line.startsWith("{")) {
        try {
          return JSON.readTree(line);
        } catch (IOException e) {
          return null;
        }
      }
    }
    return null;
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v;
      }
    }
    return null;
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
