package io.herologic.operator.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A follow request of a real Pod's log on the real API server: the bytes arrive whole and in order
 * and the stream ends clean with the container; an answer other than 200 is an error naming it and
 * never reaches the sink as log text; a closed stream reads nothing more.
 */
@DevClusterTest
class PodLogStreamIT {
  private final ExecutorService executor = Executors.newSingleThreadExecutor();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  @Test
  void readsTheWholeLogInOrderAndEndsCleanWhenTheContainerEnds(KubernetesClient client, TestNamespace namespace) throws Exception {
    String ns = namespace.name();
    // 2,000 numbered lines written over about a second, so they come in many chunks while the stream follows.
    PythonPods.started(client, ns, "counter", "import sys, time\nfor i in range(2000):\n    print(f'line {i:04d}', flush=True)\n"
        + "    if i % 200 == 0: time.sleep(0.1)\n");
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PodLogStream stream = PodLogStream.open(client, ns, "counter", "main", sink, executor);

    Throwable ended = stream.onClose().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertNull(ended, "a log that ends with its container ends the stream clean");
    String[] lines = sink.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals(2000, lines.length);
    for (int i = 0; i < lines.length; i++) {
      assertEquals(String.format("line %04d", i), lines[i]);
    }
  }

  @Test
  void anAnswerOtherThan200IsAnErrorAndNeverLogText(KubernetesClient client, TestNamespace namespace) throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PodLogStream stream = PodLogStream.open(client, namespace.name(), "no-such-pod", "main", sink, executor);

    Throwable ended = stream.onClose().toCompletableFuture().get(30, TimeUnit.SECONDS);

    KubernetesClientException refused = assertInstanceOf(KubernetesClientException.class, ended);
    assertEquals(404, refused.getCode());
    assertTrue(refused.getMessage().contains("HTTP 404") && refused.getMessage().contains("no-such-pod"), refused.getMessage());
    assertEquals(0, sink.size(), "the API server's answer is not the flow's log");
  }

  @Test
  void aClosedStreamReadsNothingMore(KubernetesClient client, TestNamespace namespace) throws Exception {
    String ns = namespace.name();
    PythonPods.started(client, ns, "ticker", "import time\nfor i in range(600):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.1)\n");
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    PodLogStream stream = PodLogStream.open(client, ns, "ticker", "main", sink, executor);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sink.size() > 0);

    stream.close();
    assertNull(stream.onClose().toCompletableFuture().get(5, TimeUnit.SECONDS), "closing ends the stream without an error");
    executor.submit(() -> null).get(5, TimeUnit.SECONDS); // a chunk already handed over is written or dropped by now
    int atClose = sink.size();
    Thread.sleep(1500); // the Pod prints ten lines a second
    assertEquals(atClose, sink.size(), "nothing is written after close");
  }

  @Test
  void closingEndsTheStreamWithoutAnErrorEvenWhenTheCancelledBodyEndsFirst(KubernetesClient client, TestNamespace namespace)
      throws Exception {
    String ns = namespace.name();
    PythonPods.started(client, ns, "ticker", "import time\nfor i in range(600):\n    print(f'tick {i}', flush=True)\n    time.sleep(0.1)\n");
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    // Callbacks run on the calling thread: cancelling the body ends it (with a CancellationException)
    // inside close() itself, the order the shared executor only sometimes takes.
    PodLogStream stream = PodLogStream.open(client, ns, "ticker", "main", sink, Runnable::run);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sink.size() > 0);

    stream.close();

    assertNull(stream.onClose().toCompletableFuture().get(5, TimeUnit.SECONDS), "closing ends the stream without an error");
  }
}
