package io.herologic.operator.schedule;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlaySchedule;
import io.herologic.model.PlayScheduleStatus;
import io.herologic.model.PlayStatus;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.EventRecorder;
import io.herologic.operator.kube.StatusPatch;
import io.herologic.operator.metrics.PlayMetrics;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Starts a PlaySchedule's Plays at their times, like the CronJob controller starts Jobs:
 * {@link CronSchedule} reads the expression, {@link RunPlanner} decides what is due,
 * {@link ScheduledPlays} creates the Play (at most once per scheduled time, by its name) and
 * {@link ScheduleHistory} says which finished Plays to delete. The reconcile is woken by the
 * schedule's own changes, by its Plays (through their owner reference) and at its next run time.
 */
@ControllerConfiguration(name = "playschedule", maxReconciliationInterval = @MaxReconciliationInterval(interval = 10, timeUnit = TimeUnit.MINUTES))
@GradualRetry(maxAttempts = -1, initialInterval = 500, intervalMultiplier = 2, maxInterval = 30_000)
public class PlayScheduleReconciler implements Reconciler<PlaySchedule> {
  private static final Logger LOG = Logger.getLogger(PlayScheduleReconciler.class);
  public static final String READY = "Ready";
  /** Wake up just after a run is due, never before it (the cron fires on whole minutes). */
  private static final Duration AFTER_DUE = Duration.ofMillis(200);

  private final ScheduledPlays plays;
  private final EventRecorder events;
  private final PlayMetrics metrics;
  private final Clock clock = Clock.systemUTC();

  public PlayScheduleReconciler(KubernetesClient client, EventRecorder events, PlayMetrics metrics) {
    this.plays = new ScheduledPlays(client);
    this.events = events;
    this.metrics = metrics;
  }

  @Override
  public List<EventSource<?, PlaySchedule>> prepareEventSources(EventSourceContext<PlaySchedule> context) {
    // Only the schedules' own Plays, and of each only what this controller reads: the play
    // controller caches the whole Play (spans and all) already; this cache stays small.
    var scheduled = InformerEventSourceConfiguration.from(Play.class, PlaySchedule.class)
        .withName("scheduled-plays")
        .withLabelSelector(ScheduledPlays.SCHEDULE_LABEL)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(PlaySchedule.class))
        .withItemStore(new TransformingItemStore<>(PlayScheduleReconciler::phaseOnly))
        // A running Play patches its status up to four times a second; only a new phase matters here.
        .withOnUpdateFilter((updated, old) -> phase(updated) != phase(old))
        .build();
    return List.of(new InformerEventSource<>(scheduled, context));
  }

  /** What the history limits and the active list need of a Play: its metadata, phase and completion time. */
  static Play phaseOnly(Play play) {
    Play slim = new Play();
    slim.setMetadata(play.getMetadata());
    slim.getMetadata().setManagedFields(null);
    slim.setSpec(null);
    PlayStatus status = new PlayStatus();
    status.setConditions(null);
    if (play.getStatus() != null) {
      status.setPhase(play.getStatus().getPhase());
      status.setCompletionTime(play.getStatus().getCompletionTime());
    }
    slim.setStatus(status);
    return slim;
  }

  @Override
  public UpdateControl<PlaySchedule> reconcile(PlaySchedule schedule, Context<PlaySchedule> context) {
    Instant now = clock.instant();
    Long generation = schedule.getMetadata().getGeneration();
    PlayScheduleStatus status = copyOf(schedule.getStatus());
    status.setObservedGeneration(generation);

    List<Play> own = context.getSecondaryResources(Play.class).stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    ScheduleHistory.beyondLimits(own, schedule.getSpec()).forEach(plays::delete);
    List<Play> runningPlays = own.stream().filter(p -> !isFinished(p)).toList();
    List<String> running = names(runningPlays);

    CronSchedule cron;
    try {
      cron = CronSchedule.parse(schedule.getSpec().getSchedule(), schedule.getSpec().getTimeZone());
    } catch (CronSchedule.Invalid invalid) {
      if (!Conditions.find(status.getConditions(), READY).map(c -> invalid.getMessage().equals(c.getMessage())).orElse(false)) {
        events.warning(schedule, invalid.reason(), invalid.getMessage());
      }
      Conditions.set(status.getConditions(), READY, false, invalid.reason(), invalid.getMessage(), generation);
      status.setNextScheduleTime(null);
      setActive(status, running);
      // Nothing can fix this but an edit of the spec, which wakes the reconcile anyway.
      return write(schedule, status, Optional.empty(), now);
    }

    Instant lastScheduled = Optional.ofNullable(status.getLastScheduleTime()).map(Instant::parse)
        .orElse(Instant.parse(schedule.getMetadata().getCreationTimestamp()));
    RunPlanner.Plan plan = RunPlanner.plan(cron, schedule.getSpec(), lastScheduled, running.size(), now);
    switch (plan.action()) {
      case START, REPLACE -> {
        Instant due = plan.due().orElseThrow();
        if (plan.action() == RunPlanner.Action.REPLACE) {
          runningPlays.forEach(plays::delete);
          events.normal(schedule, "Replaced", "deleted the running Plays " + String.join(", ", running) + " to start the run of " + due);
          running = List.of();
        }
        running = start(schedule, plan, due, running);
        status.setLastScheduleTime(due.toString());
        status.setLastPlay(ScheduledPlays.playName(schedule, due));
      }
      case FORBIDDEN -> LOG.debugf("PlaySchedule %s/%s: the run of %s waits, %s still running (concurrencyPolicy Forbid)",
          schedule.getMetadata().getNamespace(), schedule.getMetadata().getName(), plan.due().orElseThrow(), running);
      case NONE, SUSPENDED -> { }
    }
    boolean suspended = plan.action() == RunPlanner.Action.SUSPENDED;
    Conditions.set(status.getConditions(), READY, true, suspended ? "Suspended" : "Scheduled",
        suspended ? "suspended: no Play starts until spec.suspend is false"
            : plan.next().map(t -> "next run " + t).orElse("the schedule names no future time"),
        generation);
    status.setNextScheduleTime(plan.next().map(Instant::toString).orElse(null));
    setActive(status, running);
    return write(schedule, status, plan.next(), now);
  }

  /**
   * Starts the run of {@code due}; returns the names of the running Plays, the new one included.
   * Only the replica or reconcile that created the Play reports it (and the runs missed before it).
   */
  private List<String> start(PlaySchedule schedule, RunPlanner.Plan plan, Instant due, List<String> running) {
    String name = ScheduledPlays.playName(schedule, due);
    switch (plays.start(schedule, due)) {
      case CREATED -> {
        reportMissed(schedule, plan, due);
        events.normal(schedule, "Started", "started Play " + name + " for the run of " + due);
      }
      case ALREADY -> LOG.debugf("the run of %s of PlaySchedule %s was started before (Play %s)", due, schedule.getMetadata().getName(), name);
      case NAME_TAKEN -> {
        events.warning(schedule, "NameTaken",
            "the run of " + due + " did not start: a Play named " + name + " exists that this schedule did not start");
        return running;
      }
    }
    // The informer may not hold the new Play yet.
    return Stream.concat(running.stream(), Stream.of(name)).distinct().sorted().toList();
  }

  private void reportMissed(PlaySchedule schedule, RunPlanner.Plan plan, Instant due) {
    if (plan.tooManyMissed()) {
      events.warning(schedule, "TooManyMissedTimes", "more than " + RunPlanner.MAX_MISSED
          + " runs were missed (operator down, or the schedule suspended); starting only the most recent, of " + due
          + ". Set spec.startingDeadlineSeconds to skip runs that are too late instead.");
    } else if (plan.missed() > 1) {
      events.normal(schedule, "MissedRuns", (plan.missed() - 1) + " earlier runs were missed (operator down, or the schedule suspended);"
          + " starting only the most recent, of " + due);
    }
  }

  private UpdateControl<PlaySchedule> write(PlaySchedule schedule, PlayScheduleStatus status, Optional<Instant> next, Instant now) {
    UpdateControl<PlaySchedule> control;
    if (status.equals(schedule.getStatus())) {
      control = UpdateControl.noUpdate();
    } else {
      schedule.setStatus(status);
      control = StatusPatch.of(schedule);
    }
    next.ifPresent(t -> control.rescheduleAfter(Duration.between(now, t).plus(AFTER_DUE)));
    return control;
  }

  @Override
  public ErrorStatusUpdateControl<PlaySchedule> updateErrorStatus(PlaySchedule schedule, Context<PlaySchedule> context, Exception e) {
    metrics.reconcileError("PlaySchedule");
    LOG.warnf("reconciling PlaySchedule %s/%s failed (will retry): %s", schedule.getMetadata().getNamespace(), schedule.getMetadata().getName(), e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  private static void setActive(PlayScheduleStatus status, List<String> running) {
    status.setActive(running);
    status.setActiveCount(running.size());
  }

  private static List<String> names(List<Play> plays) {
    return plays.stream().map(p -> p.getMetadata().getName()).sorted().toList();
  }

  private static PlayPhase phase(Play play) {
    return play.getStatus() == null ? null : play.getStatus().getPhase();
  }

  private static boolean isFinished(Play play) {
    return play.getStatus() != null && play.getStatus().getPhase() != null && play.getStatus().getPhase().isFinal();
  }

  private static PlayScheduleStatus copyOf(PlayScheduleStatus current) {
    PlayScheduleStatus copy = new PlayScheduleStatus();
    if (current != null) {
      copy.setLastScheduleTime(current.getLastScheduleTime());
      copy.setLastPlay(current.getLastPlay());
      copy.setConditions(new ArrayList<>(current.getConditions() == null ? List.of() : current.getConditions()));
    }
    return copy;
  }
}
