package io.herologic.operator.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.operator.trace.SpanEvent;
import io.herologic.operator.trace.SpanListener;
import io.herologic.operator.trace.TraceLimits;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.TestNamespace;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When a follower of a real Pod's log calls the log read: at a clean end after the runner's
 * run_end, whatever the Pod's status says yet; without run_end, only once the Pod's status says
 * the container ended. The Pod the follower sees is held back here as still Running, the way an
 * informer is behind the node on a busy cluster.
 */
@DevClusterTest
class LogFollowerIT {
  private static final String RUN_END = SpanEvent.MARKER
      + "{\"v\":1,\"seq\":1,\"ts\":0,\"type\":\"run_end\",\"status\":\"succeeded\",\"duration_s\":0}";
  private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void aLogThatEndsCleanlyAfterRunEndIsReadWhileThePodStillSaysRunning(KubernetesClient client, TestNamespace namespace)
      throws Exception {
    String ns = namespace.name();
    Pod ended = endedPod(client, ns, "with-run-end", "print('hello')\nprint(" + pythonString(RUN_END) + ")\n");
    CountDownLatch read = new CountDownLatch(1);

    LogFollower follower = follower(client, ns, "with-run-end", () -> Optional.of(asRunning(ended)), read);

    assertTrue(read.await(20, TimeUnit.SECONDS), "the log was read to its end although the Pod still says Running");
    assertNull(follower.problem());
    assertEquals("succeeded", follower.result().runStatus());
    follower.stop();
  }

  @Test
  void aForgedRunEndWhileTheProcessRunsDoesNotEndTheReading(KubernetesClient client, TestNamespace namespace) throws Exception {
    String ns = namespace.name();
    // Anything in the Pod can write a run_end line; the flow goes on for 4 s after it.
    PythonPods.started(client, ns, "forger", "import time\nprint(" + pythonString(RUN_END) + ", flush=True)\n"
        + "for i in range(8):\n    print(f'still running {i}', flush=True)\n    time.sleep(0.5)\n");
    AtomicReference<Pod> seen = new AtomicReference<>(asRunning(client.pods().inNamespace(ns).withName("forger").get()));
    CountDownLatch read = new CountDownLatch(1);

    LogFollower follower = follower(client, ns, "forger", () -> Optional.of(seen.get()), read);

    assertFalse(read.await(2, TimeUnit.SECONDS), "a run_end line alone ends nothing while the stream is open");
    assertTrue(read.await(30, TimeUnit.SECONDS), "read once the process exited and the stream ended");
    assertNull(follower.problem());
    follower.stop();
  }

  @Test
  void aLogThatEndsWithoutRunEndIsReadOnlyOnceThePodSaysItEnded(KubernetesClient client, TestNamespace namespace)
      throws Exception {
    String ns = namespace.name();
    Pod ended = endedPod(client, ns, "without-run-end", "print('hello')\n");
    AtomicReference<Pod> seen = new AtomicReference<>(asRunning(ended));
    CountDownLatch read = new CountDownLatch(1);

    LogFollower follower = follower(client, ns, "without-run-end", () -> Optional.of(seen.get()), read);

    assertFalse(read.await(6, TimeUnit.SECONDS), "a Pod that says it runs may write more: its log is not read yet");
    seen.set(ended);
    assertTrue(read.await(20, TimeUnit.SECONDS), "read once the Pod says the container ended");
    assertTrue(follower.problem().contains("without the runner's run_end"), follower.problem());
    follower.stop();
  }

  private LogFollower follower(KubernetesClient client, String ns, String pod, Supplier<Optional<Pod>> cachedPod,
      CountDownLatch read) {
    LogFollower follower = new LogFollower(new ResourceID("play", ns), pod, "main", client, TraceLimits.DEFAULT, cachedPod, scheduler,
        read::countDown, SpanListener.NONE);
    follower.start();
    return follower;
  }

  private static Pod endedPod(KubernetesClient client, String ns, String name, String script) {
    PythonPods.started(client, ns, name, script);
    return client.pods().inNamespace(ns).withName(name)
        .waitUntilCondition(p -> p != null && "Succeeded".equals(p.getStatus().getPhase()), 60, TimeUnit.SECONDS);
  }

  /** The Pod as an informer that has not yet seen its container end would hold it. */
  private static Pod asRunning(Pod pod) {
    return new PodBuilder(pod).editStatus().withPhase("Running").withContainerStatuses().endStatus().build();
  }

  private static String pythonString(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
