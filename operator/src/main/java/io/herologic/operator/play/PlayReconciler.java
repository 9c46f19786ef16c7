package io.herologic.operator.play;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.ConcurrencyMode;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.RetryCause;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.config.ShardConfig;
import io.herologic.operator.kube.Indexes;
import io.herologic.operator.kube.Labels;
import io.herologic.operator.kube.PodStates;
import io.herologic.operator.kube.PodStates.PodState;
import io.herologic.operator.logs.LogFollowers;
import io.herologic.operator.metrics.PlayMetrics;
import io.herologic.operator.trace.TraceLimits;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.processing.retry.GradualRetry;
import io.quarkiverse.operatorsdk.runtime.api.ConfigurableReconciler;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Runs each Play as one Pod and keeps its status true to what the flow did. This class only
 * dispatches: {@link PlayResolver} decides whether a Pending Play can run, {@link PlayLauncher}
 * creates its Pod, {@link PodStates} says what the Pod's state means, the
 * {@link LogFollowers} read the trace, {@link PlayStatuses} compute the next status and
 * {@link PlayStatusWriter} writes it (with its Events and metrics).
 *
 * <p>No Play is left behind: a failed status write throws, and JOSDK retries with backoff for as
 * long as it takes; every Play is also reconciled at least every few minutes, whatever events were
 * missed.
 */
@ControllerConfiguration(name = "play", maxReconciliationInterval = @MaxReconciliationInterval(interval = 3, timeUnit = TimeUnit.MINUTES))
@GradualRetry(maxAttempts = -1, initialInterval = 500, intervalMultiplier = 2, maxInterval = 30_000)
public class PlayReconciler implements Reconciler<Play>, ConfigurableReconciler<Play> {
  private static final Logger LOG = Logger.getLogger(PlayReconciler.class);
  static final String BY_WORKFLOW = "byWorkflow";
  /** Kept for the UI, which names the condition it shows. */
  public static final String TRACE_TRUNCATED = PlayConditions.TRACE_TRUNCATED;
  /** How long a Pod that is still starting normally waits before the Play looks again (informer events come sooner). */
  private static final Duration STARTING_RECHECK = Duration.ofSeconds(10);
  /**
   * A status write wakes nobody: a finished Play comes back once shortly after, when the informer
   * holds it as finished, to apply its Workflow's history limits; then at its time to live.
   */
  private static final Duration AFTER_FINISH = Duration.ofSeconds(2);
  /**
   * A queued Play also looks again this often: a Play that ends wakes the queue itself, but one
   * deleted while it ran is never reconciled again and wakes nobody.
   */
  private static final Duration QUEUE_RECHECK = Duration.ofSeconds(5);
  /**
   * How long a launched Play's status may leave its launch unsaid while the Pod starts: a Pod that
   * runs within this time gets one status write (Running) instead of two (Pod created, then
   * Running); a slower one shows "Pod created" once this has passed. The Pod records the launch in
   * between ({@link Launch}).
   */
  private static final Duration LAUNCH_GRACE = Duration.ofSeconds(2);
  /**
   * How long the first status write after the flow started waits for more: a flow that ends within
   * it gets one write (its final status, with the whole trace) instead of Running and then final.
   * Spans still reach status within about this time.
   */
  private static final Duration FIRST_WRITE_DELAY = Duration.ofSeconds(1);
  /**
   * How long a Play whose log was read to its end waits, without a status write, for its Pod's
   * status to say the container ended: the log ends with the process, a moment before the node
   * reports it, and the Pod's event then brings the final status in one write. A Pod still not
   * ended after this gets the trace written as Running.
   */
  private static final Duration POD_END_GRACE = Duration.ofSeconds(3);
  /** The Completed reason of a Play stopped for a newer one under its Workflow's Replace policy. */
  static final String REPLACED = "Replaced";

  private final KubernetesClient client;
  private final OperatorConfig config;
  private final LogFollowers followers;
  private final SdkPublisher sdk;
  private final PlayLauncher launcher;
  private final PlayStatusWriter writer;
  private final FlowServiceAccounts serviceAccounts;
  private final PlayMetrics metrics;
  /** Field-injected so the informer settings stay apart from what the reconcile uses. */
  @Inject
  ShardConfig shard;
  private final TraceLimits limits = TraceLimits.DEFAULT;
  private InformerEventSource<Pod, Play> pods;
  private PlayResolver resolver;
  private PlayRetention retention;
  private PlayAdmission admission;

  public PlayReconciler(KubernetesClient client, OperatorConfig config, LogFollowers followers, SdkPublisher sdk,
      PlayLauncher launcher, PlayStatusWriter writer, FlowServiceAccounts serviceAccounts, PlayMetrics metrics) {
    this.client = client;
    this.config = config;
    this.followers = followers;
    this.sdk = sdk;
    this.launcher = launcher;
    this.writer = writer;
    this.serviceAccounts = serviceAccounts;
    this.metrics = metrics;
  }

  /** Which Plays this process watches, and how they are cached: {@link PlayInformer}. */
  @Override
  public void updateConfigurationFrom(ControllerConfigurationOverrider<Play> configuration) {
    PlayInformer.configure(configuration, shard);
  }

  @Override
  public List<EventSource<?, Play>> prepareEventSources(EventSourceContext<Play> context) {
    var plays = context.getPrimaryCache();
    plays.addIndexer(BY_WORKFLOW, p -> List.of(Indexes.key(p.getMetadata().getNamespace(), p.getSpec().getWorkflow())));
    plays.addIndexer(ChildPlayLimits.BY_PARENT, ChildPlayLimits::parentKeys);
    plays.addIndexer(ChildPlayLimits.BY_UID, ChildPlayLimits::uidKeys);
    var podSource = InformerEventSourceConfiguration.from(Pod.class, Play.class)
        .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.OPERATOR + "," + Labels.PLAY)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Play.class))
        .withOnAddFilter(created -> false) // the reconcile that created it looks again itself (PodEvents)
        .withOnUpdateFilter(PodEvents::changesWhatThePlayReads);
    if (PlayInformer.oneInformer(context.getControllerConfiguration().getInformerConfig().getNamespaces())) {
      podSource.withItemStore(new FlowPodStore());
    }
    pods = new InformerEventSource<>(podSource.build(), context);
    // A Workflow or version appearing (or becoming Ready) wakes the Plays waiting for it.
    var workflows = new InformerEventSource<>(InformerEventSourceConfiguration.from(Workflow.class, Play.class)
        .withSecondaryToPrimaryMapper(w -> waiting(plays.byIndex(BY_WORKFLOW, Indexes.key(w.getMetadata().getNamespace(), w.getMetadata().getName()))))
        .build(), context);
    var versions = new InformerEventSource<>(InformerEventSourceConfiguration.from(WorkflowVersion.class, Play.class)
        .withSecondaryToPrimaryMapper(v -> waiting(plays.byIndex(BY_WORKFLOW, Indexes.key(v.getMetadata().getNamespace(), v.getSpec().getWorkflow()))))
        .build(), context);
    resolver = new PlayResolver(workflows, versions, plays, new ChildPlayLimits(config), serviceAccounts);
    retention = new PlayRetention(client, plays, workflows);
    SimpleInboundEventSource<Play> logs = new SimpleInboundEventSource<>("play-logs");
    followers.attach(logs, plays);
    SimpleInboundEventSource<Play> queue = new SimpleInboundEventSource<>("play-queue");
    admission = new PlayAdmission(plays, pods, workflows, config, queue);
    metrics.trackQueued(admission::queued);
    return List.of(pods, workflows, versions, logs, queue);
  }

  private static Set<ResourceID> waiting(List<Play> plays) {
    return plays.stream().filter(p -> p.getStatus().getPodName() == null && !isFinal(p))
        .map(ResourceID::fromResource).collect(Collectors.toSet());
  }

  private static boolean isFinal(Play play) {
    return play.getStatus().getPhase() != null && play.getStatus().getPhase().isFinal();
  }

  @Override
  public UpdateControl<Play> reconcile(Play play, Context<Play> context) {
    ResourceID id = ResourceID.fromResource(play);
    if (isFinal(play)) {
      followers.stop(id);
      retention.prune(play);
      return expireIfDue(play);
    }
    PlayStatus status = PlayStatuses.copyOf(play);
    Optional<Pod> pod = currentPod(play, status, context);
    if (status.getPodName() == null) {
      // Launched, and the status does not say so yet: the Pod records the launch.
      pod.flatMap(Launch::from).ifPresent(launch -> PlayStatuses.launched(status, launch, pod.get().getMetadata().getName()));
    }
    if (play.getSpec().isCancelRequested()) {
      return cancel(play, status, pod, id, context, "Cancelled", "cancelled by spec.cancel");
    }
    if (admission.superseded(play)) {
      return cancel(play, status, pod, id, context, REPLACED, "replaced by a newer Play of Workflow " + play.getSpec().getWorkflow()
          + " (its concurrency policy is Replace)");
    }
    if (status.getPodName() == null) {
      return start(play, status, context);
    }
    if (PlayStatuses.awaitingRetry(status)) {
      return retryWhenDue(play, status, context);
    }
    if (pod.isEmpty()) {
      return podMissing(play, status, id, context);
    }
    return observe(play, status, pod.get(), id, context);
  }

  /**
   * The Pod of the Play's current attempt (the first attempt's while the status names none); earlier
   * attempts' Pods are kept (for their logs) and are never it.
   */
  private static Optional<Pod> currentPod(Play play, PlayStatus status, Context<Play> context) {
    String name = status.getPodName() != null ? status.getPodName() : PlayNames.pod(play, 1);
    return context.getSecondaryResources(Pod.class).stream()
        .filter(p -> p.getMetadata().getName().equals(name) && PlayLauncher.ownedBy(p, play)).findFirst();
  }

  @Override
  public ErrorStatusUpdateControl<Play> updateErrorStatus(Play play, Context<Play> context, Exception e) {
    metrics.reconcileError("Play");
    LOG.warnf("reconciling Play %s/%s failed (will retry): %s", play.getMetadata().getNamespace(), play.getMetadata().getName(), e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  // ---- Pending: resolve, then launch ------------------------------------------------------------------

  private UpdateControl<Play> start(Play play, PlayStatus status, Context<Play> context) {
    Resolution resolution = resolver.resolve(play);
    if (resolution instanceof Resolution.Waiting waiting) {
      PlayStatuses.waiting(status, waiting.reason(), waiting.message());
      return write(play, status, context, waiting.recheckAfter());
    }
    if (resolution instanceof Resolution.Rejected rejected) {
      return fail(play, status, context, rejected.reason(), rejected.message(), rejected.version());
    }
    Resolution.Resolved resolved = (Resolution.Resolved) resolution;
    if (!admission.limited(play)) {
      return launch(play, status, context, resolved);
    }
    PlayQueue.Decision decision = admission.admit(play);
    if (decision instanceof PlayQueue.Queued queued) {
      PlayStatuses.waiting(status, PlayConditions.QUEUED, queued.message());
      UpdateControl<Play> control = write(play, status, context, QUEUE_RECHECK);
      if (Optional.ofNullable(resolved.workflow().getSpec().getConcurrency()).map(c -> c.getPolicy() == ConcurrencyMode.Replace).orElse(false)) {
        admission.wakeReplaced(play);
      }
      return control;
    }
    if (decision instanceof PlayQueue.Forbidden forbidden) {
      return fail(play, status, context, "ConcurrencyLimit", forbidden.message() + " (its concurrency policy is Forbid)", Optional.of(resolved.version()));
    }
    try {
      return launch(play, status, context, resolved);
    } finally {
      admission.started(ResourceID.fromResource(play)); // written (the status holds the place now) or failed
    }
  }

  private UpdateControl<Play> launch(Play play, PlayStatus status, Context<Play> context, Resolution.Resolved resolved) {
    String traceId = status.getTraceId() != null ? status.getTraceId() : launcher.traceIdFor(play);
    String pod;
    try {
      pod = launched(play, resolved, traceId, 1);
    } catch (PlayLauncher.Refused refused) {
      return fail(play, status, context, refused.reason(), refused.getMessage());
    } catch (PlayLauncher.Forbidden forbidden) {
      PlayStatuses.waiting(status, PlayConditions.POD_FORBIDDEN, forbidden.getMessage());
      return write(play, status, context, PlayLauncher.RETRY_FORBIDDEN);
    }
    PlayStatuses.launched(status, Launch.of(resolved.version(), traceId), pod);
    if (admission.limited(play)) {
      return write(play, status, context, STARTING_RECHECK); // under a concurrency limit, the status holds the Play's place at once
    }
    // The Pod records the launch; the Play comes back when the Pod starts, else after LAUNCH_GRACE.
    return UpdateControl.<Play>noUpdate().rescheduleAfter(LAUNCH_GRACE);
  }

  /**
   * Creates the attempt's Pod and returns its name. The Pod goes into the Pod informer's cache at
   * once (JOSDK's cache of recent creates): a reconcile that comes before the watch delivers it
   * (the launch grace's, say, on a busy operator) sees the Pod instead of creating it again, which
   * cost a 409 and a GET.
   */
  private String launched(Play play, Resolution.Resolved resolved, String traceId, int attempt) {
    Pod pod = launcher.launch(play, resolved, traceId, attempt);
    pods.handleRecentResourceCreate(ResourceID.fromResource(pod), pod);
    return pod.getMetadata().getName();
  }

  // ---- Running: follow the log, then finish ----------------------------------------------------------

  private UpdateControl<Play> observe(Play play, PlayStatus status, Pod pod, ResourceID id, Context<Play> context) {
    PodState state = PodStates.of(pod, PlayNames.CONTAINER);
    if (!state.phase().started()) {
      if (state.phase() == PodStates.Phase.STUCK) {
        PlayStatuses.stuck(status, state.message());
        return write(play, status, context, STARTING_RECHECK);
      }
      // A Pod that cannot mount the SDK waits for its ConfigMap (say the namespace was re-created
      // under the same name): publishing it again lets the Pod start.
      sdk.ensure(play.getMetadata().getNamespace());
      Duration grace = launchGraceLeft(play, pod);
      if (!grace.isZero()) {
        return UpdateControl.<Play>noUpdate().rescheduleAfter(grace);
      }
      return write(play, status, context, STARTING_RECHECK); // the launch, if the status does not hold it yet
    }
    LogFollowers.Trace trace = followers.follow(withStatus(play, status), pod.getMetadata().getName(), PlayNames.CONTAINER, limits, pods);
    // Ask whether the log was read to its end *before* taking the trace: a follower that finishes
    // in between must not end the Play with the shorter trace taken first.
    boolean logRead = trace.finished();
    LogFollowers.Observed observed = trace.observed();
    PlayStatuses.applyTrace(status, observed.trace());
    if (!state.phase().ended() || !logRead) {
      PlayStatuses.running(status, pod.getMetadata().getName(), state.startedAt());
      Duration settle = logRead ? podEndLeft(trace) : firstWriteLeft(play, trace);
      if (!settle.isZero()) {
        return UpdateControl.<Play>noUpdate().rescheduleAfter(settle);
      }
      return carried(trace, observed, write(play, status, context, null));
    }
    followers.stop(id);
    PlayStatuses.started(status, state.startedAt());
    if (trace.problem() != null) {
      LOG.infof("%s: the log was not read to its end: %s", id, trace.problem());
      PlayStatuses.traceIncomplete(status, trace.problem());
    }
    Instant finished = Optional.ofNullable(state.finishedAt()).map(Instant::parse).orElse(Instant.now());
    return carried(trace, observed, switch (state.phase()) {
      case SUCCEEDED -> "failed".equals(observed.runStatus())
          ? attemptFailed(play, status, context, RetryCause.FlowFailed, "Failed", errorLine(status), finished)
          : finish(play, status, context, PlayPhase.Succeeded, "Succeeded", "flow " + status.getFlowName() + " succeeded", finished);
      case DEADLINE_EXCEEDED -> {
        if (status.getError() == null) {
          status.setError(new ErrorInfo("DeadlineExceeded", state.message(), null));
        }
        yield attemptFailed(play, status, context, RetryCause.DeadlineExceeded, "DeadlineExceeded", state.message() + "; the flow was stopped", finished);
      }
      default -> {
        if (status.getError() == null) {
          status.setError(new ErrorInfo(state.killedBySignal() ? "Killed" : "PodFailed", state.message(), null));
        }
        yield attemptFailed(play, status, context, Retries.cause(state, pod), "Failed", errorLine(status), finished);
      }
    });
  }

  /** {@code control} came from a status write that carried {@code observed}: counts how long its new trace changes waited. */
  private UpdateControl<Play> carried(LogFollowers.Trace trace, LogFollowers.Observed observed, UpdateControl<Play> control) {
    trace.written(observed).ifPresent(metrics::statusLag);
    return control;
  }

  /** The Play with {@code status} instead of the cached one (a new object: the cached Play is never changed). */
  private static Play withStatus(Play play, PlayStatus status) {
    Play view = new Play();
    view.setMetadata(play.getMetadata());
    view.setSpec(play.getSpec());
    view.setStatus(status);
    return view;
  }

  /**
   * What is left of {@link #FIRST_WRITE_DELAY} for a Play whose stored status does not say Running
   * yet; zero once it does. Counted from when this operator began following the Pod's log.
   */
  private static Duration firstWriteLeft(Play play, LogFollowers.Trace trace) {
    if (play.getStatus() != null && play.getStatus().getPhase() == PlayPhase.Running) {
      return Duration.ZERO;
    }
    return nonNegative(FIRST_WRITE_DELAY.minus(trace.age()));
  }

  /** What is left of {@link #POD_END_GRACE} since the Play's log was read to its end. */
  private static Duration podEndLeft(LogFollowers.Trace trace) {
    return nonNegative(trace.finishedAgo().map(POD_END_GRACE::minus).orElse(Duration.ZERO));
  }

  /** What is left of {@link #LAUNCH_GRACE} for a Pod whose launch the Play's status does not record yet; zero once it does. */
  private static Duration launchGraceLeft(Play play, Pod pod) {
    boolean recorded = play.getStatus() != null && play.getStatus().getPodName() != null;
    if (recorded || pod.getMetadata().getCreationTimestamp() == null) {
      return Duration.ZERO;
    }
    return untilOrNow(Instant.parse(pod.getMetadata().getCreationTimestamp()).plus(LAUNCH_GRACE));
  }

  // ---- Failed attempts: retry after the backoff, or fail ----------------------------------------------

  /**
   * The current attempt failed with {@code cause}: another follows if the retry policy says so (the
   * Play goes back to Pending and keeps its place among its Workflow's running Plays), else the
   * Play fails with {@code reason} and {@code message}.
   */
  private UpdateControl<Play> attemptFailed(Play play, PlayStatus status, Context<Play> context, RetryCause cause,
      String reason, String message, Instant at) {
    Retries.Policy policy = Retries.effective(play, resolver.workflowOf(play));
    int attempt = PlayStatuses.attemptNumber(status);
    // A Play started by an operator that did not record attempts yet has nothing to count retries by: it is not retried.
    boolean recorded = PlayStatuses.currentAttempt(status).isPresent();
    if (recorded && Retries.retries(policy, cause, attempt)) {
      Instant next = at.plus(Retries.backoff(policy, attempt));
      PlayStatuses.retryScheduled(status, cause, at, next, policy.maxAttempts());
      return write(play, status, context, untilOrNow(next));
    }
    PlayStatuses.closeAttempt(status, PlayPhase.Failed, cause, at);
    String said = attempt > 1 ? "attempt " + attempt + " of " + policy.maxAttempts() + " failed: " + message : message;
    return finish(play, status, context, PlayPhase.Failed, reason, said, at);
  }

  private static String errorLine(PlayStatus status) {
    ErrorInfo error = status.getError();
    return error == null ? "the flow failed" : error.getType() + ": " + PlayStatuses.firstLine(error.getMessage());
  }

  /** Starts the next attempt once the failed one's backoff (derived from its end time in status) has passed. */
  private UpdateControl<Play> retryWhenDue(Play play, PlayStatus status, Context<Play> context) {
    Retries.Policy policy = Retries.effective(play, resolver.workflowOf(play));
    Duration left = untilOrNow(PlayStatuses.nextAttemptAt(status, policy));
    if (!left.isZero()) {
      return UpdateControl.<Play>noUpdate().rescheduleAfter(left);
    }
    Resolution resolution = resolver.resolveAgain(play, status.getWorkflowVersion());
    if (resolution instanceof Resolution.Waiting waiting) {
      status.setMessage("attempt " + (PlayStatuses.attemptNumber(status) + 1) + " waits: " + waiting.message());
      return write(play, status, context, STARTING_RECHECK);
    }
    if (resolution instanceof Resolution.Rejected rejected) {
      return fail(play, status, context, rejected.reason(), "attempt " + (PlayStatuses.attemptNumber(status) + 1) + " cannot start: " + rejected.message());
    }
    String pod;
    try {
      pod = launched(play, (Resolution.Resolved) resolution, status.getTraceId(), PlayStatuses.attemptNumber(status) + 1);
    } catch (PlayLauncher.Refused refused) {
      return fail(play, status, context, refused.reason(), refused.getMessage());
    } catch (PlayLauncher.Forbidden forbidden) {
      status.setMessage("attempt " + (PlayStatuses.attemptNumber(status) + 1) + " waits: " + forbidden.getMessage());
      return write(play, status, context, PlayLauncher.RETRY_FORBIDDEN);
    }
    PlayStatuses.nextAttempt(status, pod);
    return write(play, status, context, STARTING_RECHECK); // sooner when the Pod starts
  }

  private static Duration untilOrNow(Instant at) {
    return nonNegative(Duration.between(Instant.now(), at));
  }

  /** A wait that has already run out is no wait. */
  private static Duration nonNegative(Duration left) {
    return left.isNegative() ? Duration.ZERO : left;
  }

  /** The Pod this Play created is gone: maybe not seen by the informer yet, else deleted before the flow finished. */
  private UpdateControl<Play> podMissing(Play play, PlayStatus status, ResourceID id, Context<Play> context) {
    if (client.pods().inNamespace(play.getMetadata().getNamespace()).withName(status.getPodName()).get() != null) {
      return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofMillis(500));
    }
    Optional<LogFollowers.Trace> trace = followers.existing(id);
    if (trace.isPresent() && !trace.get().finished()) {
      return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofMillis(300));
    }
    trace.ifPresent(t -> PlayStatuses.applyTrace(status, t.observed().trace()));
    followers.stop(id);
    String message = "the flow Pod " + status.getPodName() + " was deleted before the flow finished";
    if (status.getError() == null) {
      status.setError(new ErrorInfo("PodDeleted", message, null));
    }
    return attemptFailed(play, status, context, RetryCause.PodLost, "PodDeleted", message, Instant.now());
  }

  // ---- Cancel ------------------------------------------------------------------------------------------

  /** Stops the Play's Pod, then ends the Play Cancelled with {@code reason} (Cancelled, or Replaced by a newer Play). */
  private UpdateControl<Play> cancel(Play play, PlayStatus status, Optional<Pod> pod, ResourceID id, Context<Play> context,
      String reason, String message) {
    boolean podRunning = pod.isPresent() && !PodStates.of(pod.get(), PlayNames.CONTAINER).phase().ended();
    Optional<LogFollowers.Trace> trace = followers.existing(id);
    boolean logRead = trace.map(LogFollowers.Trace::finished).orElse(true); // before the trace is taken, as in observe()
    trace.ifPresent(t -> PlayStatuses.applyTrace(status, t.observed().trace()));
    if (podRunning) {
      if (pod.get().getMetadata().getDeletionTimestamp() == null) {
        client.resource(pod.get()).delete();
      }
      status.setMessage((REPLACED.equals(reason) ? "replaced" : "cancelling") + ": stopping Pod " + pod.get().getMetadata().getName());
      return write(play, status, context, Duration.ofSeconds(1));
    }
    if (pod.isPresent() && !logRead) {
      return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofMillis(300));
    }
    followers.stop(id);
    pod.filter(p -> p.getMetadata().getDeletionTimestamp() == null).ifPresent(p -> client.resource(p).delete());
    return finish(play, status, context, PlayPhase.Cancelled, reason, message, Instant.now());
  }

  // ---- Final phases and time to live ---------------------------------------------------------------------

  private UpdateControl<Play> finish(Play play, PlayStatus status, Context<Play> context, PlayPhase phase, String reason, String message, Instant at) {
    PlayStatuses.finish(status, phase, reason, message, at);
    return ended(play, status, context);
  }

  /** Writes a final status; the place the Play held (if any) is free now, so the queue may move. */
  private UpdateControl<Play> ended(Play play, PlayStatus status, Context<Play> context) {
    UpdateControl<Play> control = write(play, status, context, AFTER_FINISH);
    admission.wakeQueued(play);
    return control;
  }

  /** Ends the Play as Failed before it ran, with {@code reason} as its error; no Pod is (or will be) created. */
  private UpdateControl<Play> fail(Play play, PlayStatus status, Context<Play> context, String reason, String message) {
    return fail(play, status, context, reason, message, Optional.empty());
  }

  private UpdateControl<Play> fail(Play play, PlayStatus status, Context<Play> context, String reason, String message,
      Optional<WorkflowVersion> pinned) {
    if (status.getPodName() == null) {
      LOG.infof("Play %s/%s failed before it ran: %s: %s", play.getMetadata().getNamespace(), play.getMetadata().getName(), reason, message);
    }
    PlayStatuses.fail(status, reason, message, status.getPodName() == null, pinned);
    return ended(play, status, context);
  }

  private Optional<Long> ttl(Play play) {
    return Optional.ofNullable(play.getSpec().getTtlSecondsAfterFinished()).or(config::playTtlSecondsAfterFinished);
  }

  private UpdateControl<Play> expireIfDue(Play play) {
    Optional<Long> ttl = ttl(play);
    if (ttl.isEmpty() || play.getStatus().getCompletionTime() == null) {
      return UpdateControl.noUpdate();
    }
    Instant due = Instant.parse(play.getStatus().getCompletionTime()).plusSeconds(ttl.get());
    Duration left = Duration.between(Instant.now(), due);
    if (left.isNegative() || left.isZero()) {
      client.resource(play).delete();
      return UpdateControl.noUpdate();
    }
    return UpdateControl.<Play>noUpdate().rescheduleAfter(left);
  }

  private UpdateControl<Play> write(Play play, PlayStatus status, Context<Play> context, Duration recheckAfter) {
    writer.write(play, status, context);
    UpdateControl<Play> none = UpdateControl.noUpdate();
    return recheckAfter == null ? none : none.rescheduleAfter(recheckAfter);
  }
}
