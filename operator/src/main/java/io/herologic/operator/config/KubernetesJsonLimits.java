package io.herologic.operator.config;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.kubernetes.client.KubernetesClientObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * Lets the Kubernetes client read every object the API server accepts, and keeps what it read safe
 * to handle.
 *
 * <p>A Play's {@code spec.inputs} is free JSON from whoever may create Plays. The API server takes
 * JSON nested up to 10,000 levels (k8s.io/apimachinery's util/json) and bodies up to 3 MiB; Jackson's
 * default {@link StreamReadConstraints} stop at 1,000 levels and 50,000-character names. With the
 * defaults a single deep Play would fail every list and watch of Plays, and so stop the informer for
 * everyone. So the limits here lie above the API server's; and since serialising, comparing or
 * copying a {@code JsonNode} recurses (a 5,000-level tree overflowed the stack in each of them),
 * {@link DepthCappedJson} cuts any JSON value deeper than {@link DepthCappedJson#MAX_DEPTH} as it is
 * read. Such a Play fails the input check anyway (32 levels, flows/CONTRACT.md), with the same path.
 */
@Singleton
public class KubernetesJsonLimits implements KubernetesClientObjectMapperCustomizer {
  /** Twice the API server's own 10,000 levels: a list or a watch event adds a few around an object. */
  static final int MAX_NESTING = 20_000;
  /** A key may be as long as a value; the API server's 3 MiB request limit bounds both. */
  static final int MAX_STRING_LENGTH = 20_000_000;

  @Override
  public void customize(ObjectMapper mapper) {
    mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
        .maxNestingDepth(MAX_NESTING)
        .maxStringLength(MAX_STRING_LENGTH)
        .maxNameLength(MAX_STRING_LENGTH)
        .build());
    mapper.registerModule(DepthCappedJson.module());
  }
}
