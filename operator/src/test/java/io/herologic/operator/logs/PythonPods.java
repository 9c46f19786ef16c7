package io.herologic.operator.logs;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.TimeUnit;

/** Pods of one container {@code main} that run a Python script, for the log tests. */
final class PythonPods {
  private PythonPods() {}

  /** Creates the Pod and waits until it left Pending (its container started, and may have ended). */
  static Pod started(KubernetesClient client, String ns, String name, String script) {
    client.resource(new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).endMetadata()
        .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("main").withImage("python:3.12-slim")
        .withCommand("python3", "-u", "-c", script).endContainer().endSpec().build()).create();
    return client.pods().inNamespace(ns).withName(name).waitUntilCondition(PythonPods::leftPending, 60, TimeUnit.SECONDS);
  }

  private static boolean leftPending(Pod pod) {
    return pod != null && pod.getStatus() != null && pod.getStatus().getPhase() != null && !"Pending".equals(pod.getStatus().getPhase());
  }
}
