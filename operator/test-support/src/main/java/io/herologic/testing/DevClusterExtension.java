package io.herologic.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/** Backs {@link DevClusterTest}: the shared cluster, a namespace per test, diagnostics on failure. */
public class DevClusterExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(DevClusterExtension.class);

  /** The cluster of this test run (started on first use, stopped when the run ends). */
  public static DevCluster cluster(ExtensionContext context) {
    return context.getRoot().getStore(STORE).getOrComputeIfAbsent("cluster", k -> new ClusterResource(DevCluster.start()), ClusterResource.class).cluster;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    DevCluster cluster = cluster(context);
    String name = namespaceName(context);
    cluster.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
        .addToLabels("herologic.io/test", "true").endMetadata().build()).create();
    context.getStore(STORE).put("namespace", new TestNamespace(name));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    TestNamespace ns = context.getStore(STORE).get("namespace", TestNamespace.class);
    if (ns == null) {
      return;
    }
    KubernetesClient client = cluster(context).client();
    if (context.getExecutionException().isPresent()) {
      saveDiagnostics(client, ns.name(), context);
    }
    client.namespaces().withName(ns.name()).delete();
  }

  private static void saveDiagnostics(KubernetesClient client, String namespace, ExtensionContext context) {
    Path dir = Path.of("target", "test-diagnostics", context.getRequiredTestClass().getSimpleName(), context.getRequiredTestMethod().getName());
    try {
      Files.createDirectories(dir);
      for (Pod pod : client.pods().inNamespace(namespace).list().getItems()) {
        String name = pod.getMetadata().getName();
        Files.writeString(dir.resolve(name + ".yaml"), io.fabric8.kubernetes.client.utils.Serialization.asYaml(pod));
        for (var container : pod.getSpec().getContainers()) {
          try {
            String log = client.pods().inNamespace(namespace).withName(name).inContainer(container.getName()).getLog();
            Files.writeString(dir.resolve(name + "." + container.getName() + ".log"), log == null ? "" : log);
          } catch (RuntimeException e) {
            Files.writeString(dir.resolve(name + "." + container.getName() + ".log"), "could not read the log: " + e.getMessage());
          }
        }
      }
      StringBuilder events = new StringBuilder();
      client.v1().events().inNamespace(namespace).list().getItems().stream()
          .sorted(Comparator.comparing(e -> String.valueOf(e.getLastTimestamp())))
          .forEach(e -> events.append(e.getLastTimestamp()).append(' ').append(e.getType()).append(' ')
              .append(e.getInvolvedObject().getKind()).append('/').append(e.getInvolvedObject().getName()).append(' ')
              .append(e.getReason()).append(": ").append(e.getMessage()).append('\n'));
      Files.writeString(dir.resolve("events.txt"), events.toString());
      for (String plural : new String[] {"plays", "workflows", "workflowversions"}) {
        try {
          var list = client.genericKubernetesResources("herologic.io/v1alpha1", kindOf(plural)).inNamespace(namespace).list();
          Files.writeString(dir.resolve(plural + ".yaml"), io.fabric8.kubernetes.client.utils.Serialization.asYaml(list));
        } catch (RuntimeException ignored) {
          // the CRDs may not be installed in this test
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("could not save diagnostics for " + namespace + ": " + e);
    }
  }

  private static String kindOf(String plural) {
    return switch (plural) {
      case "plays" -> "Play";
      case "workflows" -> "Workflow";
      default -> "WorkflowVersion";
    };
  }

  static String namespaceName(ExtensionContext context) {
    String method = context.getRequiredTestMethod().getName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "");
    if (method.length() > 40) {
      method = method.substring(0, 40);
    }
    return "t-" + method.replaceAll("-+$", "") + "-" + UUID.randomUUID().toString().substring(0, 5);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubernetesClient.class || type == TestNamespace.class || type == DevCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == KubernetesClient.class) {
      return cluster(context).client();
    }
    if (type == DevCluster.class) {
      return cluster(context);
    }
    return context.getStore(STORE).get("namespace", TestNamespace.class);
  }

  private record ClusterResource(DevCluster cluster) implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      cluster.close();
    }
  }
}
