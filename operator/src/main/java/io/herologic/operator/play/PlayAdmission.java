package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Pod;
import io.herologic.model.ConcurrencyMode;
import io.herologic.model.ConcurrencyPolicy;
import io.herologic.model.Play;
import io.herologic.model.PlayStatus;
import io.herologic.model.Workflow;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.Indexes;
import io.javaoperatorsdk.operator.api.reconciler.IndexedResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Lets a resolved Play start only when the concurrency limits leave it a place ({@link PlayQueue}
 * decides), and wakes queued Plays when places free.
 *
 * <p>The queue is read from the Play cache, never kept here: each Play as this operator last wrote
 * it (the primary cache's {@code get} returns our own status writes before the informer sees them),
 * else as the informer holds it, and the Pods that exist. The one thing kept in memory is the short window between deciding
 * that a Play starts and its status saying so; decisions are serialized, so two Plays reconciled at
 * once can never both take the last place. After a restart or a leader change the new process
 * starts from the API's state alone.
 */
final class PlayAdmission {
  private final IndexedResourceCache<Play> plays;
  private final Cache<Pod> pods;
  private final Cache<Workflow> workflows;
  private final OperatorConfig config;
  private final SimpleInboundEventSource<Play> wakeUps;
  /** Plays told to start whose status does not say so yet (added under this object's lock, read without it). */
  private final Set<ResourceID> starting = ConcurrentHashMap.newKeySet();

  PlayAdmission(IndexedResourceCache<Play> plays, Cache<Pod> pods, Cache<Workflow> workflows, OperatorConfig config,
      SimpleInboundEventSource<Play> wakeUps) {
    this.plays = plays;
    this.pods = pods;
    this.workflows = workflows;
    this.config = config;
    this.wakeUps = wakeUps;
  }

  /** Whether any limit applies to this Play (else it starts without asking the queue). */
  boolean limited(Play play) {
    return config.maxRunningPlays().isPresent() || config.maxRunningPlaysPerNamespace().isPresent() || policyOf(play).isPresent();
  }

  /** Decides whether {@code play} starts; a Start must be followed by {@link #started} once its status is written (or failed). */
  synchronized PlayQueue.Decision admit(Play play) {
    ResourceID id = ResourceID.fromResource(play);
    PlayQueue.Decision decision = PlayQueue.decide(entry(play, true), entries(play), limits());
    if (decision instanceof PlayQueue.Start) {
      starting.add(id);
    }
    return decision;
  }

  /** The Play's start was written (its status now holds its place), or it failed and holds none. */
  void started(ResourceID id) {
    starting.remove(id);
  }

  /** Whether this Play must stop because newer Plays of its Workflow, whose policy is Replace, need its place. */
  boolean superseded(Play play) {
    Optional<ConcurrencyPolicy> policy = policyOf(play).filter(p -> p.getPolicy() == ConcurrencyMode.Replace);
    if (policy.isEmpty()) {
      return false;
    }
    // Only Plays that run or were resolved and queued replace others: not one that may yet turn out invalid.
    List<PlayQueue.Entry> ofWorkflow = sameWorkflow(play).map(p -> entry(p, false)).toList();
    return PlayQueue.superseded(entry(play, false), ofWorkflow, policy.get());
  }

  /** Wakes the queued Plays a place freed by {@code play} may let start. */
  void wakeQueued(Play play) {
    // Called on every Play's end: without a limit that counts this Play, nobody waits for its place,
    // and scanning the namespace for queued Plays would be work on every end for nothing.
    if (!limited(play)) {
      return;
    }
    scope(play).filter(PlayAdmission::isQueued).map(ResourceID::fromResource).forEach(wakeUps::propagateEvent);
  }

  /** Wakes the running Plays of {@code play}'s Workflow, so the ones a queued Play replaces stop. */
  void wakeReplaced(Play play) {
    sameWorkflow(play).filter(p -> !p.getMetadata().getName().equals(play.getMetadata().getName()))
        .map(ResourceID::fromResource).forEach(wakeUps::propagateEvent);
  }

  /** Plays waiting in a queue, for the metrics. */
  long queued() {
    return plays.list().filter(PlayAdmission::isQueued).count();
  }

  static boolean isQueued(Play play) {
    PlayStatus status = play.getStatus();
    return status != null && status.getPhase() != null && !status.getPhase().isFinal() && status.getPodName() == null
        && Conditions.find(status.getConditions(), PlayConditions.READY).map(c -> PlayConditions.QUEUED.equals(c.getReason())).orElse(false);
  }

  private Stream<Play> sameWorkflow(Play play) {
    return plays.byIndex(PlayReconciler.BY_WORKFLOW, Indexes.key(play.getMetadata().getNamespace(), play.getSpec().getWorkflow())).stream()
        .map(this::freshest);
  }

  private List<PlayQueue.Entry> entries(Play play) {
    return scope(play).map(this::freshest).filter(p -> p.getStatus() == null || p.getStatus().getPhase() == null || !p.getStatus().getPhase().isFinal())
        .map(p -> entry(p, true)).toList();
  }

  /** The Plays whose places {@code play} competes for: all, its namespace's, or its Workflow's (the widest limit set). */
  private Stream<Play> scope(Play play) {
    String namespace = play.getMetadata().getNamespace();
    return config.maxRunningPlays().isPresent() ? plays.list()
        : config.maxRunningPlaysPerNamespace().isPresent() ? plays.list(namespace)
        : plays.byIndex(PlayReconciler.BY_WORKFLOW, Indexes.key(namespace, play.getSpec().getWorkflow())).stream();
  }

  /** The Play as this operator last wrote it, when the informer has not caught up with that write yet. */
  private Play freshest(Play cached) {
    return plays.get(ResourceID.fromResource(cached)).orElse(cached);
  }

  /** {@code unresolvedQueue}: count a Play not reconciled yet as queued. */
  private PlayQueue.Entry entry(Play play, boolean unresolvedQueue) {
    ResourceID id = ResourceID.fromResource(play);
    PlayStatus status = play.getStatus();
    boolean ended = status != null && status.getPhase() != null && status.getPhase().isFinal();
    // A Pod without the status naming it: the operator stopped between creating it and writing the status.
    boolean podUnrecorded = pods.get(new ResourceID(PlayNames.pod(play), id.getNamespace().orElseThrow())).isPresent();
    boolean holds = !ended && (status != null && status.getPodName() != null || starting.contains(id) || podUnrecorded);
    // A Play not reconciled yet (no status, or no Ready condition) counts as queued: none created later may overtake it.
    boolean unresolved = status == null || Conditions.find(status.getConditions(), PlayConditions.READY).isEmpty();
    boolean queued = !ended && !holds && !play.getSpec().isCancelRequested() && (unresolved && unresolvedQueue || isQueued(play));
    Instant created = play.getMetadata().getCreationTimestamp() == null ? Instant.EPOCH : Instant.parse(play.getMetadata().getCreationTimestamp());
    return new PlayQueue.Entry(id, play.getSpec().getWorkflow(), created, holds, queued, play.getSpec().isCancelRequested());
  }

  private PlayQueue.Limits limits() {
    return new PlayQueue.Limits(config.maxRunningPlays(), config.maxRunningPlaysPerNamespace(), key -> {
      int slash = key.indexOf('/');
      return workflows.get(new ResourceID(key.substring(slash + 1), key.substring(0, slash))).map(w -> w.getSpec().getConcurrency());
    });
  }

  private Optional<ConcurrencyPolicy> policyOf(Play play) {
    return workflows.get(new ResourceID(play.getSpec().getWorkflow(), play.getMetadata().getNamespace()))
        .map(w -> w.getSpec().getConcurrency());
  }
}
