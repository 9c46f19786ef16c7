package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import java.util.Set;
import java.util.stream.Collectors;

/** Index keys for finding primaries that point at another object by name, in the same namespace. */
public final class Indexes {
  private Indexes() {}

  public static String key(String namespace, String name) {
    return namespace + "/" + name;
  }

  /** The primaries whose index entry names {@code secondary}: the secondary-to-primary direction of a reference. */
  public static <P extends HasMetadata> Set<ResourceID> referencing(IndexerResourceCache<P> cache, String index, HasMetadata secondary) {
    return referencing(cache, index, secondary.getMetadata().getNamespace(), secondary.getMetadata().getName());
  }

  public static <P extends HasMetadata> Set<ResourceID> referencing(IndexerResourceCache<P> cache, String index, String namespace, String name) {
    return cache.byIndex(index, key(namespace, name)).stream().map(ResourceID::fromResource).collect(Collectors.toSet());
  }
}
