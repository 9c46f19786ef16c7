package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/** Status conditions that keep lastTransitionTime when their status did not change. */
public final class Conditions {
  private Conditions() {}

  public static void set(List<Condition> conditions, String type, boolean status, String reason, String message, Long generation) {
    String value = status ? "True" : "False";
    Optional<Condition> existing = find(conditions, type);
    String since = existing.filter(c -> value.equals(c.getStatus())).map(Condition::getLastTransitionTime)
        .orElseGet(() -> Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    Condition next = new ConditionBuilder().withType(type).withStatus(value).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).withLastTransitionTime(since).build();
    conditions.removeIf(c -> type.equals(c.getType()));
    conditions.add(next);
    conditions.sort(java.util.Comparator.comparing(Condition::getType));
  }

  public static void remove(List<Condition> conditions, String type) {
    conditions.removeIf(c -> type.equals(c.getType()));
  }

  public static Optional<Condition> find(List<Condition> conditions, String type) {
    return conditions == null ? Optional.empty() : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  public static boolean isTrue(List<Condition> conditions, String type) {
    return find(conditions, type).map(c -> "True".equals(c.getStatus())).orElse(false);
  }
}
