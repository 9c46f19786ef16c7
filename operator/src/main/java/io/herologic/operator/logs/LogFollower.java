package io.herologic.operator.logs;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.herologic.operator.trace.SpanAssembler;
import io.herologic.operator.trace.TraceLimits;
import io.herologic.operator.trace.TraceSnapshot;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Follows one flow Pod's log through the API server ({@code pods/log?follow=true}) and feeds every
 * line to a {@link SpanAssembler}. When the stream breaks before the container ended, it reads the
 * log again from the start: the assembler ignores events it has already applied.
 */
public final class LogFollower implements Runnable {
  private static final Logger LOG = Logger.getLogger(LogFollower.class);
  static final int MAX_LINE_BYTES = 2 * 1024 * 1024;

  final ResourceID play;
  final String pod;
  private final String container;
  private final KubernetesClient client;
  private final SpanAssembler assembler;
  private final Runnable onFinished;
  private volatile boolean finished;
  private volatile boolean stopped;
  private volatile String problem;
  private final Object threadLock = new Object();
  private Thread thread;
  long notifiedVersion = -1;

  LogFollower(ResourceID play, String pod, String container, KubernetesClient client, TraceLimits limits, Runnable onFinished) {
    this.play = play;
    this.pod = pod;
    this.container = container;
    this.client = client;
    this.assembler = new SpanAssembler(limits);
    this.onFinished = onFinished;
  }

  /** True once the whole log was read: the container ended, or the Pod is gone. */
  boolean finished() {
    return finished;
  }

  /** Why the log could not be read completely, if it could not. */
  String problem() {
    return problem;
  }

  synchronized long version() {
    return assembler.version();
  }

  synchronized TraceSnapshot snapshot() {
    return assembler.snapshot();
  }

  synchronized Result result() {
    return new Result(assembler.snapshot(), assembler.runStatus(), assembler.traceId(), assembler.lastSeq());
  }

  /** The trace plus what the runner said about the run's end. */
  public record Result(TraceSnapshot trace, String runStatus, String traceId, long lastSeq) {}

  void stop() {
    // Pool threads are reused: interrupt only while this follower still owns the thread.
    synchronized (threadLock) {
      stopped = true;
      if (thread != null) {
        thread.interrupt();
      }
    }
  }

  @Override
  public void run() {
    synchronized (threadLock) {
      if (stopped) {
        return;
      }
      thread = Thread.currentThread();
    }
    try {
      follow();
    } finally {
      synchronized (threadLock) {
        thread = null;
        Thread.interrupted(); // hand the pool thread back without a pending interrupt
      }
    }
  }

  private void follow() {
    int attempt = 0;
    try {
      while (!stopped) {
        Pod current = currentPod();
        if (current == null) {
          problem = "Pod " + pod + " is gone";
          break;
        }
        if (!started(current)) {
          sleep(300);
          continue;
        }
        boolean endedBefore = terminated(current);
        boolean clean = false;
        try {
          readLog();
          clean = true;
        } catch (Exception e) {
          LOG.debugf("log stream of %s/%s broke: %s", play.getNamespace().orElse(""), pod, e.toString());
        }
        if (endedBefore && clean) {
          break; // the container had ended before we started reading: the log was complete
        }
        // The stream ends when the process exits, a moment before the Pod's status says so: wait
        // for that briefly rather than reading the whole log again.
        Pod after = clean ? awaitEnd() : currentPod();
        if (after == null) {
          problem = "Pod " + pod + " was deleted";
          break;
        }
        if (terminated(after)) {
          if (!clean) {
            try {
              readLog(); // the stream broke near the end: read it all once more for the last lines
            } catch (Exception e) {
              problem = "could not read the end of the log: " + e.getMessage();
            }
          }
          break; // a follow stream ends when the container does: the log is complete
        }
        sleep(Math.min(5000, 200L << Math.min(attempt++, 5)));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      problem = "log follower failed: " + e;
      LOG.warnf(e, "log follower for %s failed", play);
    } finally {
      finished = true;
      if (!stopped) {
        onFinished.run();
      }
    }
  }

  /** The Pod once its container has ended, or as it is after about two seconds. */
  private Pod awaitEnd() throws InterruptedException {
    Pod current = currentPod();
    for (int i = 0; i < 20 && current != null && !terminated(current) && !stopped; i++) {
      sleep(100);
      current = currentPod();
    }
    return current;
  }

  /** The Pod, riding out brief API hiccups (a pooled connection closed under us) instead of giving up. */
  private Pod currentPod() throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      try {
        return client.pods().inNamespace(play.getNamespace().orElseThrow()).withName(pod).get();
      } catch (KubernetesClientException e) {
        if (attempt >= 5 || stopped) {
          throw e;
        }
        sleep(200L << attempt);
      }
    }
  }

  private void readLog() throws Exception {
    String path = "api/v1/namespaces/" + enc(play.getNamespace().orElseThrow()) + "/pods/" + enc(pod)
        + "/log?follow=true&container=" + enc(container);
    var http = client.getHttpClient();
    String master = client.getMasterUrl().toString();
    HttpRequest request = http.newHttpRequestBuilder().uri((master.endsWith("/") ? master : master + "/") + path).build();
    HttpResponse<InputStream> response = http.sendAsync(request, InputStream.class).get(30, TimeUnit.SECONDS);
    try (InputStream body = response.body()) {
      if (response.code() != 200) {
        String text = body == null ? "" : new String(body.readNBytes(4096), StandardCharsets.UTF_8);
        throw new IllegalStateException("pods/log answered " + response.code() + ": " + text);
      }
      BoundedLineReader lines = new BoundedLineReader(body, MAX_LINE_BYTES);
      String line;
      while (!stopped && (line = lines.readLine()) != null) {
        synchronized (this) {
          assembler.accept(line);
        }
      }
    }
  }

  static boolean started(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return true;
    }
    return containerStatus(pod).map(s -> s.getState() != null && (s.getState().getRunning() != null || s.getState().getTerminated() != null)).orElse(false);
  }

  static boolean terminated(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase)
        || containerStatus(pod).map(s -> s.getState() != null && s.getState().getTerminated() != null).orElse(false);
  }

  static java.util.Optional<ContainerStatus> containerStatus(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return java.util.Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream().findFirst();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void sleep(long millis) throws InterruptedException {
    Thread.sleep(millis);
  }
}
