package io.herologic.operator.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test double for the paid LLM API: flows/examples/fake_llm/fake_llm_server.py as a host
 * process on a free port (devcluster's Pods share the host network, so the agent's Pod reaches it at
 * 127.0.0.1). Replies come from a script the test posts; every request is recorded.
 */
public final class AgentFakeLlm implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern READY = Pattern.compile("fake-llm listening on (http://127\\.0\\.0\\.1:(\\d+)/v1)");

  private final Process process;
  private final String baseUrl;
  private final String admin;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private AgentFakeLlm(Process process, String baseUrl, int port) {
    this.process = process;
    this.baseUrl = baseUrl;
    this.admin = "http://127.0.0.1:" + port + "/admin";
  }

  /** Starts the server requiring {@code Authorization: Bearer apiKey}; its stderr goes to {@code log}. */
  public static AgentFakeLlm start(Path repoRoot, String apiKey, Path log) {
    Path script = repoRoot.resolve("flows/examples/fake_llm/fake_llm_server.py");
    Process process;
    try {
      Files.createDirectories(log.getParent());
      // --port 0: the OS picks a free port and the ready line says which.
      process = new ProcessBuilder("python3", script.toString(), "--host", "127.0.0.1", "--port", "0", "--api-key", apiKey)
          .redirectError(log.toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String line;
    try {
      line = CompletableFuture.supplyAsync(() -> {
        try {
          return out.readLine();
        } catch (IOException e) {
          return null;
        }
      }).get(20, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      process.destroyForcibly();
      throw new IllegalStateException("the fake LLM server did not say it was ready within 20s; see " + log.toAbsolutePath(), e);
    }
    Matcher ready = line == null ? null : READY.matcher(line);
    if (ready == null || !ready.find()) {
      process.destroyForcibly();
      throw new IllegalStateException("the fake LLM server did not start (first line " + line + "); see " + log.toAbsolutePath());
    }
    return new AgentFakeLlm(process, ready.group(1), Integer.parseInt(ready.group(2)));
  }

  /** What HEROLOGIC_LLM_BASE_URL must be: {@code http://127.0.0.1:<port>/v1}. */
  public String baseUrl() {
    return baseUrl;
  }

  /** Replaces the script (a list of replies, or {replies, default, model}) and clears the record. */
  public void script(Object script) {
    JsonNode answer = send("POST", admin + "/script", script);
    if (!"ok".equals(answer.path("status").asText())) {
      throw new IllegalStateException("the fake LLM refused the script: " + answer);
    }
  }

  /** Every chat request so far: index, path, authorization, body, status, reply, time. */
  public ArrayNode requests() {
    return (ArrayNode) send("GET", admin + "/requests", null);
  }

  private JsonNode send(String method, String url, Object body) {
    try {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
      request = body == null ? request.GET()
          : request.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).header("Content-Type", "application/json");
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(method + " " + url + " answered " + response.statusCode() + ": " + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + " failed (is the fake LLM still running? " + process.isAlive() + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
