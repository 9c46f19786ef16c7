package io.herologic.operator.config;

import io.smallrye.config.ConfigMapping;
import java.util.Optional;

/**
 * This process's shard, when Plays are spread over several operator Deployments (README,
 * "Sharding"; HEROLOGIC_SHARD_* environment variables, set by the chart's {@code shards} value).
 * Unset: one operator reconciles every Play of the namespaces it watches.
 */
@ConfigMapping(prefix = "herologic.shard")
public interface ShardConfig {
  /**
   * The shard's name: its status writes carry the field manager {@code play-<name>} and its leader
   * election Lease is {@code hero-logic-operator-<name>}.
   */
  Optional<String> name();

  /**
   * A label selector on Plays, for shards that share namespaces: {@code herologic.io/shard=a}, or
   * {@code !herologic.io/shard} for the shard that takes the Plays without a shard label. Unset:
   * every Play of the watched namespaces.
   */
  Optional<String> playSelector();
}
