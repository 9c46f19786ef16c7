package io.herologic.operator.play;

import io.herologic.model.ConcurrencyMode;
import io.herologic.model.ConcurrencyPolicy;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which queued Play may start: pure arithmetic over what the informer cache says of the Plays in
 * scope, so the queue survives restarts and leader changes (it is never held only in memory) and
 * every rule is unit-tested.
 *
 * <p>Three limits can hold a Play back: its Workflow's {@code concurrency.maxRunning}, the
 * operator's per-namespace maximum and its overall maximum. A Play holds a place from its first Pod
 * until it ends (retry backoffs included). Queued Plays are admitted in creation order (creation
 * time has whole seconds, so ties go by namespace and name); a Play held back by its own Workflow's
 * limit does not hold back Plays of other Workflows behind it.
 */
final class PlayQueue {
  private PlayQueue() {}

  /**
   * What the queue needs of one Play. {@code holdsPlace}: it has (or had) a Pod and has not ended.
   * {@code queued}: it was resolved and waits for a place (a Play not yet reconciled counts as
   * queued too, so a Play created later can never overtake it). {@code cancelling}: cancel was asked.
   */
  record Entry(ResourceID id, String workflow, Instant created, boolean holdsPlace, boolean queued, boolean cancelling) {
    String namespace() {
      return id.getNamespace().orElseThrow();
    }

    String workflowKey() {
      return namespace() + "/" + workflow;
    }
  }

  /** The operator's limits, and each Workflow's policy by "namespace/name". */
  record Limits(Optional<Integer> overall, Optional<Integer> perNamespace, Function<String, Optional<ConcurrencyPolicy>> workflows) {}

  sealed interface Decision {}

  /** The Play may start now. */
  record Start() implements Decision {}

  /** The Play waits; {@code position} is its place (1 = next) in the queue of the limit that holds it back. */
  record Queued(int position, String message) implements Decision {}

  /** The Play's Workflow forbids more running Plays: it fails without running. */
  record Forbidden(String message) implements Decision {}

  /**
   * Oldest first. creationTimestamp has whole seconds, so Plays created in the same second are told
   * apart by what is known: one that already holds a place started first; then namespace and name.
   * (By name alone, "latest-old" created in the second of "latest-new" counted as the newer one, and
   * Replace stopped the new Play instead of the running one.)
   */
  static final Comparator<Entry> CREATION_ORDER = Comparator.comparing(Entry::created)
      .thenComparing(e -> !e.holdsPlace()).thenComparing(Entry::namespace).thenComparing(e -> e.id().getName());

  /** Whether {@code self} (not holding a place yet) may start, among {@code entries} (the Plays in scope). */
  static Decision decide(Entry self, Collection<Entry> entries, Limits limits) {
    Counts running = new Counts();
    entries.stream().filter(Entry::holdsPlace).filter(e -> !e.id().equals(self.id())).forEach(running::add);
    List<Entry> queue = new ArrayList<>(entries.stream().filter(e -> !e.holdsPlace() && e.queued() && !e.id().equals(self.id())).toList());
    queue.add(self);
    queue.sort(CREATION_ORDER);
    Map<String, Integer> blockedIn = new HashMap<>();
    for (Entry e : queue) {
      Optional<Full> full = fullLimit(e, running, limits);
      if (full.isEmpty()) {
        if (e.id().equals(self.id())) {
          return new Start();
        }
        running.add(e); // an older Play takes this place first
        continue;
      }
      int position = blockedIn.merge(full.get().scope(), 1, Integer::sum);
      if (e.id().equals(self.id())) {
        return full.get().forbids() ? new Forbidden(full.get().why()) : new Queued(position, "queued, " + place(position) + ": " + full.get().why());
      }
    }
    throw new IllegalStateException("the queue lost " + self.id()); // self is always in the queue
  }

  /**
   * Whether a Play of a Workflow with the Replace policy must stop for newer ones: it is older than
   * the newest maxRunning Plays of its Workflow that run or wait in its queue.
   */
  static boolean superseded(Entry self, Collection<Entry> entries, ConcurrencyPolicy policy) {
    if (policy.getPolicy() != ConcurrencyMode.Replace) {
      return false;
    }
    long newer = entries.stream()
        .filter(e -> e.workflowKey().equals(self.workflowKey()) && !e.cancelling() && (e.holdsPlace() || e.queued()))
        .filter(e -> CREATION_ORDER.compare(e, self) > 0)
        .count();
    return newer >= policy.getMaxRunning();
  }

  /**
   * Places shown exactly. Every Play that starts moves everyone behind it up one place, and each
   * shown place that changes is a status write: beyond this, the message stays the same.
   */
  static final int SHOWN_PLACES = 50;

  static String place(int position) {
    return position <= SHOWN_PLACES ? "number " + position + " in line" : "more than " + SHOWN_PLACES + " in line";
  }

  private record Full(String scope, String why, boolean forbids) {}

  private static Optional<Full> fullLimit(Entry e, Counts running, Limits limits) {
    Optional<ConcurrencyPolicy> own = limits.workflows().apply(e.workflowKey());
    int inWorkflow = running.byWorkflow.getOrDefault(e.workflowKey(), 0);
    if (own.isPresent() && inWorkflow >= own.get().getMaxRunning()) {
      return Optional.of(new Full("workflow " + e.workflowKey(), "Workflow " + e.workflow() + " allows " + own.get().getMaxRunning()
          + " running Plays and " + inWorkflow + " are running", own.get().getPolicy() == ConcurrencyMode.Forbid));
    }
    int inNamespace = running.byNamespace.getOrDefault(e.namespace(), 0);
    if (limits.perNamespace().isPresent() && inNamespace >= limits.perNamespace().get()) {
      return Optional.of(new Full("namespace " + e.namespace(), "the operator allows " + limits.perNamespace().get()
          + " running Plays per namespace and " + inNamespace + " are running in " + e.namespace(), false));
    }
    if (limits.overall().isPresent() && running.all >= limits.overall().get()) {
      return Optional.of(new Full("overall", "the operator allows " + limits.overall().get() + " running Plays in all and "
          + running.all + " are running", false));
    }
    return Optional.empty();
  }

  private static final class Counts {
    final Map<String, Integer> byWorkflow = new HashMap<>();
    final Map<String, Integer> byNamespace = new HashMap<>();
    int all;

    void add(Entry e) {
      byWorkflow.merge(e.workflowKey(), 1, Integer::sum);
      byNamespace.merge(e.namespace(), 1, Integer::sum);
      all++;
    }
  }
}
