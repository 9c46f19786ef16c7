package io.herologic.operator.version;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.herologic.model.ConfigMapKeyRef;
import io.herologic.model.WorkflowVersionSpec;
import io.herologic.operator.flowsource.FlowSource;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;

/** Finds a WorkflowVersion's source bytes: inline, or a ConfigMap key in data (text) or binaryData (bytes). */
final class SourceResolver {
  /** Why no source could be had, as a condition reason and message. */
  record Problem(String reason, String message) {}

  sealed interface Result permits Found, Missing {}

  record Found(FlowSource source) implements Result {}

  record Missing(Problem problem) implements Result {}

  private SourceResolver() {}

  static Result resolve(WorkflowVersionSpec spec, String namespace, Function<String, Optional<ConfigMap>> configMaps) {
    if (spec.getSource() != null) {
      return new Found(new FlowSource(spec.getSource().getBytes(StandardCharsets.UTF_8)));
    }
    ConfigMapKeyRef ref = spec.getSourceRef();
    if (ref == null) {
      return new Missing(new Problem("SourceNotFound", "set spec.source or spec.sourceRef"));
    }
    Optional<ConfigMap> cm = configMaps.apply(ref.getName());
    if (cm.isEmpty()) {
      return new Missing(new Problem("SourceNotFound",
          "ConfigMap " + ref.getName() + " not found in namespace " + namespace + "; the version becomes Ready when it appears"));
    }
    ConfigMap map = cm.get();
    if (map.getData() != null && map.getData().containsKey(ref.getKey())) {
      return new Found(new FlowSource(map.getData().get(ref.getKey()).getBytes(StandardCharsets.UTF_8)));
    }
    if (map.getBinaryData() != null && map.getBinaryData().containsKey(ref.getKey())) {
      try {
        return new Found(new FlowSource(Base64.getDecoder().decode(map.getBinaryData().get(ref.getKey()))));
      } catch (IllegalArgumentException e) {
        return new Missing(new Problem("InvalidSource", "binaryData key " + ref.getKey() + " of ConfigMap " + ref.getName() + " is not base64"));
      }
    }
    return new Missing(new Problem("SourceNotFound",
        "ConfigMap " + ref.getName() + " has no key " + ref.getKey() + " in data or binaryData"));
  }
}
