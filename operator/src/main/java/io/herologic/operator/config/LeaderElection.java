package io.herologic.operator.config;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.quarkus.runtime.Quarkus;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * Leader election for more than one replica: used only when the `leader-election` profile is
 * active (the Helm chart sets QUARKUS_PROFILE=prod,leader-election when replicas > 1); the Lease
 * lives in the operator's namespace, one per shard ({@link ShardConfig}).
 */
public class LeaderElection {
  @Produces
  @Singleton
  LeaderElectionConfiguration leaderElection(ShardConfig shard) {
    // Losing leadership ends the process so Kubernetes restarts it as a clean standby. JOSDK's own
    // default does that with System.exit inside the shutdown hook, which hangs a SIGTERM'd leader.
    LeaderCallbacks callbacks = new LeaderCallbacks(() -> { }, () -> Quarkus.asyncExit(1), newLeader -> { });
    // Each shard elects its own leader: one Lease per shard, so every shard has a leader at once.
    String lease = shard.name().map(name -> "hero-logic-operator-" + name).orElse("hero-logic-operator");
    return new LeaderElectionConfiguration(lease, null,
        LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null, callbacks, false);
  }
}
