package io.herologic.operator.it;

import io.herologic.testing.LocalPorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo calendar as a real Pod + Service on the cluster, from the manifest
 * flows/examples/calendar/make_manifest.py writes for a free port and the test's namespace. The test
 * talks to it over HTTP at 127.0.0.1:<port> (Pods are host processes on devcluster), as the agent does:
 * the operator reads that URL from the Service's herologic.io/rpc-url annotation and hands it over.
 */
public final class AgentCalendar {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private AgentCalendar(KubernetesClient client, String namespace, String name, int port) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.port = port;
  }

  /** Applies the manifest and returns once the calendar answers rpc.discover (at most 60 s). */
  public static AgentCalendar deploy(KubernetesClient client, Path repoRoot, String namespace) {
    return deploy(client, repoRoot, namespace, false);
  }

  /** {@code logRequests}: without --quiet, so its Pod log shows each request and the traceparent it carried. */
  static AgentCalendar deploy(KubernetesClient client, Path repoRoot, String namespace, boolean logRequests) {
    int port = LocalPorts.free();
    List<String> command = new java.util.ArrayList<>(List.of("python3", repoRoot.resolve("flows/examples/calendar/make_manifest.py").toString(),
        "--port", String.valueOf(port), "--namespace", namespace));
    if (logRequests) {
      command.addAll(List.of("--arg=--port", "--arg=" + port)); // any --arg replaces the default --quiet
    }
    return apply(client, namespace, "calendar", port, command);
  }

  /**
   * Another discoverable service, the same way: flows/tests/agent_support/echo_rpc_server.py serving
   * {@code document} (an OpenRPC document file) and answering each declared method with the method
   * and params it received.
   */
  static AgentCalendar deployEcho(KubernetesClient client, Path repoRoot, String namespace, String name, Path document) {
    int port = LocalPorts.free();
    String documentName = document.getFileName().toString();
    return apply(client, namespace, name, port, List.of("python3", repoRoot.resolve("flows/examples/calendar/make_manifest.py").toString(),
        "--port", String.valueOf(port), "--namespace", namespace, "--name", name,
        "--script", repoRoot.resolve("flows/tests/agent_support/echo_rpc_server.py").toString(), "--file", document.toString(),
        "--arg=--document", "--arg=/app/" + documentName, "--arg=--port", "--arg=" + port));
  }

  private static AgentCalendar apply(KubernetesClient client, String namespace, String name, int port, List<String> makeManifest) {
    String manifest = run(makeManifest);
    List<HasMetadata> items = client.load(new ByteArrayInputStream(manifest.getBytes(StandardCharsets.UTF_8))).items();
    for (HasMetadata item : items) {
      client.resource(item).inNamespace(namespace).create();
    }
    AgentCalendar service = new AgentCalendar(client, namespace, name, port);
    service.awaitDiscover(Duration.ofSeconds(60));
    return service;
  }

  String url() {
    return "http://127.0.0.1:" + port + "/rpc";
  }

  /** One JSON-RPC call; returns the result, throws with the error object otherwise. */
  JsonNode call(String method, Object params) {
    ObjectNode message = JSON.createObjectNode().put("jsonrpc", "2.0").put("id", 1).put("method", method);
    if (params != null) {
      message.set("params", JSON.valueToTree(params));
    }
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url())).timeout(Duration.ofSeconds(5))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(message.toString())).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode answer = JSON.readTree(response.body());
      if (answer.has("error")) {
        throw new IllegalStateException(method + " failed: " + answer.get("error"));
      }
      return answer.get("result");
    } catch (IOException e) {
      throw new UncheckedIOException(method + " on " + url() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The stored events (event.list) whose title is {@code title}. */
  List<JsonNode> eventsTitled(String title) {
    List<JsonNode> found = new ArrayList<>();
    call("event.list", JSON.createObjectNode()).forEach(e -> {
      if (title.equals(e.path("title").asText())) {
        found.add(e);
      }
    });
    return found;
  }

  private void awaitDiscover(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException last = null;
    while (System.nanoTime() < deadline) {
      try {
        JsonNode document = call("rpc.discover", null);
        if (document != null && document.path("methods").isArray() && document.path("methods").size() > 0) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      sleep(250);
    }
    Pod pod = client.pods().inNamespace(namespace).withName(name).get();
    throw new IllegalStateException("the " + name + " Pod did not answer rpc.discover on " + url() + " within " + timeout.toSeconds()
        + "s (last error: " + last + "); Pod status: " + (pod == null ? "no Pod" : pod.getStatus()));
  }

  private static String run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      byte[] out = process.getInputStream().readAllBytes();
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " failed");
      }
      return new String(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }


  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
