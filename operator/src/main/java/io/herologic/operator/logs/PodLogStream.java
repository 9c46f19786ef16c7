package io.herologic.operator.logs;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.URLUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One follow request of a container's log ({@code GET pods/<pod>/log?follow=true}), its bytes
 * written to a sink in order. This is what Fabric8's {@code watchLog} sends, without what comes
 * before it there: {@code watchLog} first waits for the Pod to be ready with a LIST and a WATCH of
 * that Pod, which a follower (opened only once the Pod's container started, and re-opened after
 * every break) never needs, and it would cost the API server two requests per Play.
 *
 * <p>An answer other than 200 is an error, not log text: its body (cut to {@link #MAX_ERROR_BYTES})
 * becomes the error's message and never reaches the sink. Chunks are written on {@code executor},
 * one at a time: the next is asked for only after the last one was written, so the sink sees the
 * bytes in order and a slow sink holds back its own stream, not the HTTP client's threads.
 */
final class PodLogStream {
  static final int MAX_ERROR_BYTES = 4096;

  private final CompletableFuture<Throwable> closed = new CompletableFuture<>();
  private final CompletableFuture<AsyncBody> body = new CompletableFuture<>();
  private final AtomicBoolean cancelled = new AtomicBoolean();
  private final OutputStream sink;
  /** The body of an answer other than 200, cut to {@link #MAX_ERROR_BYTES}. */
  private final ByteArrayOutputStream refusal = new ByteArrayOutputStream();
  private volatile boolean refused;

  private PodLogStream(OutputStream sink) {
    this.sink = sink;
  }

  /** Opens the follow request; bytes go to {@code sink} until the stream ends, breaks or is closed. */
  static PodLogStream open(KubernetesClient client, String namespace, String pod, String container, OutputStream sink, Executor executor) {
    String url = URLUtils.join(client.getMasterUrl().toString(), "api", "v1", "namespaces", namespace, "pods", pod, "log")
        + "?follow=true&container=" + URLEncoder.encode(container, StandardCharsets.UTF_8);
    HttpClient http = client.getHttpClient();
    PodLogStream stream = new PodLogStream(sink);
    http.consumeBytes(http.newHttpRequestBuilder().uri(url).build(),
        (buffers, asyncBody) -> executor.execute(() -> stream.deliver(buffers, asyncBody)))
        .whenComplete((response, error) -> {
          if (error != null) {
            stream.end(error);
          } else {
            stream.answered(response, executor);
          }
        });
    return stream;
  }

  private void answered(HttpResponse<AsyncBody> response, Executor executor) {
    refused = !response.isSuccessful();
    AsyncBody answer = response.body();
    body.complete(answer);
    if (cancelled.get()) {
      answer.cancel(); // closed while the request was on its way: onClose has completed already
      return;
    }
    answer.done().whenComplete((done, broke) -> executor.execute(() -> end(broke != null ? broke : refused ? refusal(response.code()) : null)));
    answer.consume();
  }

  /** Completes when the stream is over: with null after a clean end of the log, else with why it broke. */
  CompletionStage<Throwable> onClose() {
    return closed.minimalCompletionStage();
  }

  /** Stops reading; {@link #onClose} completes (with null) if it has not yet. */
  void close() {
    if (cancelled.compareAndSet(false, true)) {
      // Complete first: cancelling the body ends it with a CancellationException, which must not win the race.
      closed.complete(null);
      // Only a body still being read is cancelled. Cancelling resets the request, and once a body has
      // ended its connection is back in the client's pool: the reset closed it under the next request
      // that took it ("Connection was closed"), another Play's log stream or any other call.
      body.thenAccept(answer -> {
        if (!answer.done().isDone()) {
          answer.cancel();
        }
      });
    }
  }

  private void deliver(List<ByteBuffer> buffers, AsyncBody asyncBody) {
    if (cancelled.get()) {
      asyncBody.cancel();
      return;
    }
    try {
      for (ByteBuffer buffer : buffers) {
        if (refused) {
          keepRefusal(buffer);
        } else {
          write(buffer);
        }
      }
      asyncBody.consume();
    } catch (IOException | RuntimeException e) {
      asyncBody.cancel();
      end(e);
    }
  }

  private void write(ByteBuffer buffer) throws IOException {
    if (buffer.hasArray()) {
      sink.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
    } else {
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      sink.write(bytes);
    }
  }

  private void keepRefusal(ByteBuffer buffer) {
    int room = MAX_ERROR_BYTES - refusal.size();
    if (room > 0) {
      byte[] kept = new byte[Math.min(room, buffer.remaining())];
      buffer.get(kept);
      refusal.write(kept, 0, kept.length);
    }
  }

  private void end(Throwable why) {
    closed.complete(why);
  }

  private KubernetesClientException refusal(int code) {
    String said = refusal.toString(StandardCharsets.UTF_8).strip();
    return new KubernetesClientException("reading the log: HTTP " + code + (said.isEmpty() ? "" : ": " + said), code, null);
  }
}
