package io.herologic.operator.play;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.ErrorInfo;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.kube.Conditions;
import io.herologic.operator.kube.StatusPatch;
import io.herologic.operator.kube.EventRecorder;
import io.herologic.operator.kube.Indexes;
import io.herologic.operator.kube.Labels;
import io.herologic.operator.logs.LogFollower;
import io.herologic.operator.logs.LogFollowers;
import io.herologic.operator.metrics.PlayMetrics;
import io.herologic.operator.trace.TraceLimits;
import io.herologic.operator.trace.TraceSnapshot;
import io.herologic.operator.version.WorkflowVersionReconciler;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import java.net.HttpURLConnection;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Runs each Play as one Pod and keeps its status true to what the flow did.
 *
 * <p>Pending: the Workflow and version are resolved (waiting, with a condition, while either is
 * missing or not Ready) and the inputs checked (a mismatch fails the Play at once, with no Pod).
 * Running: the Pod's log is followed and the span tree written into status, coalesced to a few
 * patches per second. Final: Succeeded, Failed (with the flow's error, or why the Pod ended) or
 * Cancelled. Only the status subresource is written, and only when it changed.
 */
@ControllerConfiguration(name = "play")
public class PlayReconciler implements Reconciler<Play> {
  private static final Logger LOG = Logger.getLogger(PlayReconciler.class);
  static final String BY_WORKFLOW = "byWorkflow";
  public static final String READY = "Ready";
  public static final String COMPLETED = "Completed";
  public static final String TRACE_TRUNCATED = "TraceTruncated";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final List<String> NORMAL_WAITING = List.of(": ContainerCreating", ": PodInitializing");

  private final KubernetesClient client;
  private final OperatorConfig config;
  private final LogFollowers followers;
  private final SdkPublisher sdk;
  private final EventRecorder events;
  private final PlayMetrics metrics;
  private final TraceLimits limits = TraceLimits.DEFAULT;
  /**
   * What this operator last wrote per Play (by uid). The informer cache can lag behind our own
   * patch; without this a reconcile on a stale copy would repeat a patch or an Event, or even
   * move a finished Play back to Running.
   */
  private final Map<String, Written> written = new ConcurrentHashMap<>();

  private record Written(int hash, PlayPhase phase) {}

  public PlayReconciler(KubernetesClient client, OperatorConfig config, LogFollowers followers, SdkPublisher sdk,
      EventRecorder events, PlayMetrics metrics) {
    this.metrics = metrics;
    this.client = client;
    this.config = config;
    this.followers = followers;
    this.sdk = sdk;
    this.events = events;
  }

  @Override
  public List<EventSource<?, Play>> prepareEventSources(EventSourceContext<Play> context) {
    var plays = context.getPrimaryCache();
    plays.addIndexer(BY_WORKFLOW, p -> List.of(Indexes.key(p.getMetadata().getNamespace(), p.getSpec().getWorkflow())));
    var pods = InformerEventSourceConfiguration.from(Pod.class, Play.class)
        .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.OPERATOR + "," + Labels.PLAY)
        .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(Play.class))
        .build();
    // A Workflow or version appearing (or becoming Ready) wakes the Plays waiting for it.
    var workflows = InformerEventSourceConfiguration.from(Workflow.class, Play.class)
        .withSecondaryToPrimaryMapper(w -> waiting(plays.byIndex(BY_WORKFLOW, Indexes.key(w.getMetadata().getNamespace(), w.getMetadata().getName()))))
        .build();
    var versions = InformerEventSourceConfiguration.from(WorkflowVersion.class, Play.class)
        .withSecondaryToPrimaryMapper(v -> waiting(plays.byIndex(BY_WORKFLOW, Indexes.key(v.getMetadata().getNamespace(), v.getSpec().getWorkflow()))))
        .build();
    SimpleInboundEventSource<Play> logs = new SimpleInboundEventSource<>("play-logs");
    followers.attach(logs);
    return List.of(new InformerEventSource<>(pods, context), new InformerEventSource<>(workflows, context),
        new InformerEventSource<>(versions, context), logs);
  }

  private static Set<ResourceID> waiting(List<Play> plays) {
    return plays.stream().filter(p -> p.getStatus().getWorkflowVersion() == null && !isFinal(p))
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
      written.remove(play.getMetadata().getUid());
      return afterFinish(play);
    }
    Written last = written.get(play.getMetadata().getUid());
    if (last != null && last.phase() != null && last.phase().isFinal()) {
      // We finished it; the cache has not caught up yet. Come back (a bare noUpdate would also
      // cancel the wake-up we asked for, such as the one for the Play's TTL).
      return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofSeconds(1));
    }
    PlayStatus status = JSON.convertValue(play.getStatus(), PlayStatus.class);
    if (status.getConditions() == null) {
      status.setConditions(new ArrayList<>());
    }
    status.setObservedGeneration(play.getMetadata().getGeneration());
    Optional<Pod> pod = context.getSecondaryResource(Pod.class);

    if (play.getSpec().isCancelRequested()) {
      return cancel(play, status, pod, id);
    }
    if (status.getWorkflowVersion() == null) {
      Optional<UpdateControl<Play>> notYet = resolve(play, status, context);
      if (notYet.isPresent()) {
        return notYet.get();
      }
    }
    if (pod.isEmpty()) {
      return startOrNoticeLoss(play, status, context, id);
    }
    return observe(play, status, pod.get(), id);
  }

  @Override
  public ErrorStatusUpdateControl<Play> updateErrorStatus(Play play, Context<Play> context, Exception e) {
    metrics.reconcileError("Play");
    written.remove(play.getMetadata().getUid()); // the patch we meant to send may not have landed
    LOG.warnf("reconciling Play %s/%s failed (will retry): %s", play.getMetadata().getNamespace(), play.getMetadata().getName(), e.toString());
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  // ---- Pending: resolve the flow and check the inputs -------------------------------------------

  private Optional<UpdateControl<Play>> resolve(Play play, PlayStatus status, Context<Play> context) {
    String namespace = play.getMetadata().getNamespace();
    Long generation = play.getMetadata().getGeneration();
    status.setPhase(PlayPhase.Pending);
    Optional<Workflow> workflow = cached(context, Workflow.class, play.getSpec().getWorkflow(), namespace);
    if (workflow.isEmpty()) {
      return Optional.of(wait(play, status, "WorkflowNotFound",
          "Workflow " + play.getSpec().getWorkflow() + " not found in namespace " + namespace + "; the Play starts when it appears"));
    }
    String versionName = play.getSpec().getVersion() != null ? play.getSpec().getVersion() : workflow.get().getSpec().getCurrentVersion();
    Optional<WorkflowVersion> version = cached(context, WorkflowVersion.class, versionName, namespace);
    if (version.isEmpty()) {
      return Optional.of(wait(play, status, "VersionNotFound",
          "WorkflowVersion " + versionName + " not found in namespace " + namespace + "; the Play starts when it appears"));
    }
    WorkflowVersion v = version.get();
    if (!play.getSpec().getWorkflow().equals(v.getSpec().getWorkflow())) {
      return Optional.of(fail(play, status, "VersionOfAnotherWorkflow",
          "spec.version: WorkflowVersion " + versionName + " belongs to Workflow " + v.getSpec().getWorkflow() + ", not " + play.getSpec().getWorkflow(), true));
    }
    var ready = Conditions.find(v.getStatus().getConditions(), WorkflowVersionReconciler.READY);
    if (ready.isEmpty() || !"True".equals(ready.get().getStatus()) || !v.getStatus().getDigest().equals(digestOfReady(v))) {
      return Optional.of(wait(play, status, "VersionNotReady", "WorkflowVersion " + versionName + " is not Ready"
          + ready.map(c -> ": " + c.getReason() + ": " + c.getMessage()).orElse(" yet")));
    }
    List<String> problems = InputValidator.problems(play.getSpec().getInputs(), v.getStatus().getInputs());
    if (!problems.isEmpty()) {
      return Optional.of(fail(play, status, "InvalidInputs", String.join("; ", problems), true));
    }
    status.setWorkflowVersion(versionName);
    status.setDigest(v.getStatus().getDigest());
    status.setFlowName(v.getStatus().getFlowName());
    status.setTraceId(HexFormat.of().formatHex(randomBytes(16)));
    Conditions.set(status.getConditions(), READY, true, "Resolved", "runs " + versionName + " (" + v.getStatus().getDigest() + ")", generation);
    return Optional.empty();
  }

  private static String digestOfReady(WorkflowVersion v) {
    return v.getStatus().getDigest() == null ? "" : v.getStatus().getDigest();
  }

  // ---- Start the Pod, or notice it is gone -------------------------------------------------------

  private UpdateControl<Play> startOrNoticeLoss(Play play, PlayStatus status, Context<Play> context, ResourceID id) {
    String namespace = play.getMetadata().getNamespace();
    if (status.getPodName() != null) {
      // The informer may simply not have seen our Pod yet; ask the API server before concluding.
      if (client.pods().inNamespace(namespace).withName(status.getPodName()).get() != null) {
        return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofMillis(500));
      }
      var trace = followers.existing(id);
      if (trace.isPresent() && !trace.get().finished()) {
        return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofMillis(300));
      }
      trace.ifPresent(t -> applyTrace(status, t.result().trace()));
      followers.stop(id);
      return fail(play, status, "PodDeleted", "the flow Pod " + status.getPodName() + " was deleted before the flow finished", false);
    }
    Workflow workflow = cached(context, Workflow.class, play.getSpec().getWorkflow(), namespace).orElse(null);
    WorkflowVersion version = cached(context, WorkflowVersion.class, status.getWorkflowVersion(), namespace).orElse(null);
    if (workflow == null || version == null) {
      status.setWorkflowVersion(null); // resolve again once they are back
      return wait(play, status, workflow == null ? "WorkflowNotFound" : "VersionNotFound",
          (workflow == null ? "Workflow " + play.getSpec().getWorkflow() : "WorkflowVersion " + status.getWorkflowVersion())
              + " disappeared before the Pod was created");
    }
    String serviceAccount = workflow.getSpec().getServiceAccountName();
    if (serviceAccount != null && client.serviceAccounts().inNamespace(namespace).withName(serviceAccount).get() == null) {
      return wait(play, status, "ServiceAccountNotFound", "ServiceAccount " + serviceAccount + " named by Workflow "
          + workflow.getMetadata().getName() + " does not exist in namespace " + namespace
          + " (the Helm chart creates herologic-agent for the built-in agent)");
    }
    String sdkConfigMap = sdk.ensure(namespace);
    Pod pod = PlayPodFactory.build(new PlayPodFactory.Inputs(play, workflow, version, sdkConfigMap, status.getTraceId(), config));
    try {
      client.pods().inNamespace(namespace).resource(pod).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        if (e.getCode() == 422 || e.getCode() == HttpURLConnection.HTTP_FORBIDDEN) {
          return fail(play, status, "PodRejected", "the API server refused the flow Pod: " + e.getStatus().getMessage(), true);
        }
        throw e;
      }
    }
    status.setPodName(pod.getMetadata().getName());
    status.setPhase(PlayPhase.Pending);
    status.setMessage("Pod " + pod.getMetadata().getName() + " created");
    Conditions.set(status.getConditions(), READY, true, "PodCreated", "Pod " + pod.getMetadata().getName() + " created", play.getMetadata().getGeneration());
    return patch(play, status);
  }

  // ---- Running: follow the log, then finish --------------------------------------------------------

  private UpdateControl<Play> observe(Play play, PlayStatus status, Pod pod, ResourceID id) {
    status.setPodName(pod.getMetadata().getName());
    String podPhase = pod.getStatus() == null ? "Pending" : pod.getStatus().getPhase();
    boolean started = "Running".equals(podPhase) || "Succeeded".equals(podPhase) || "Failed".equals(podPhase);
    if (!started) {
      // Normal start-up (ContainerCreating, PodInitializing) is not worth a status write; a
      // reason that needs a person (ImagePullBackOff, CreateContainerConfigError...) is.
      Optional<String> trouble = waitingReason(pod).filter(r -> !NORMAL_WAITING.stream().anyMatch(r::contains));
      if (trouble.isEmpty()) {
        // A Pod that cannot mount the SDK waits for its ConfigMap (say the namespace was re-created
        // under the same name): publishing it again lets the Pod start.
        sdk.ensure(play.getMetadata().getNamespace());
        return UpdateControl.<Play>noUpdate().rescheduleAfter(SdkPublisher.TRUST);
      }
      status.setPhase(PlayPhase.Pending);
      status.setMessage(trouble.get());
      return patch(play, status);
    }
    LogFollowers.Trace trace = followers.follow(id, pod, PlayNames.CONTAINER, limits);
    LogFollower.Result result = trace.result();
    applyTrace(status, result.trace());
    if (status.getStartTime() == null) {
      status.setStartTime(startTime(pod));
    }
    boolean podEnded = "Succeeded".equals(podPhase) || "Failed".equals(podPhase);
    if (!podEnded || !trace.finished()) {
      if (status.getPhase() != PlayPhase.Running && lastPhase(play) != PlayPhase.Running) {
        events.normal(play, "Started", "flow " + status.getFlowName() + " (" + status.getWorkflowVersion() + ") started in Pod " + pod.getMetadata().getName());
        metrics.started(play.getSpec().getWorkflow());
      }
      status.setPhase(PlayPhase.Running);
      status.setMessage("running in Pod " + pod.getMetadata().getName());
      Conditions.set(status.getConditions(), "Running", true, "PodRunning", "the flow is running", play.getMetadata().getGeneration());
      setDuration(status, Instant.now());
      return patch(play, status);
    }
    followers.stop(id);
    Conditions.remove(status.getConditions(), "Running");
    Optional<ContainerStateTerminated> terminated = terminated(pod);
    Instant finished = terminated.map(t -> t.getFinishedAt()).map(Instant::parse).orElse(Instant.now());
    if (trace.problem() != null) {
      LOG.infof("%s: the log was not read to its end: %s", id, trace.problem());
      Conditions.set(status.getConditions(), "TraceIncomplete", true, "LogUnavailable", trace.problem(), play.getMetadata().getGeneration());
    }
    if ("Succeeded".equals(podPhase) && !"failed".equals(result.runStatus())) {
      return finish(play, status, PlayPhase.Succeeded, "Succeeded", "flow " + status.getFlowName() + " succeeded", finished);
    }
    if ("DeadlineExceeded".equals(pod.getStatus().getReason())) {
      long seconds = pod.getSpec().getActiveDeadlineSeconds() == null ? 0 : pod.getSpec().getActiveDeadlineSeconds();
      if (status.getError() == null) {
        status.setError(new ErrorInfo("DeadlineExceeded", "the Play ran longer than its deadline of " + seconds + "s", null));
      }
      return finish(play, status, PlayPhase.Failed, "DeadlineExceeded", "deadline of " + seconds + "s exceeded; the flow was stopped", finished);
    }
    if (status.getError() == null) {
      int exit = terminated.map(ContainerStateTerminated::getExitCode).orElse(-1);
      String why = terminated.map(t -> t.getReason() + (t.getMessage() != null ? ": " + t.getMessage() : "")).orElse(
          pod.getStatus().getReason() != null ? pod.getStatus().getReason() + ": " + pod.getStatus().getMessage() : "unknown reason");
      String message = exit > 128 ? "the flow process was killed by signal " + (exit - 128) + " (" + why + ")"
          : exit >= 0 ? "the flow process exited with code " + exit + " (" + why + ")" : "the flow Pod failed: " + why;
      status.setError(new ErrorInfo(exit > 128 ? "Killed" : "PodFailed", message, null));
    }
    ErrorInfo error = status.getError();
    return finish(play, status, PlayPhase.Failed, "Failed", error.getType() + ": " + firstLine(error.getMessage()), finished);
  }

  private void applyTrace(PlayStatus status, TraceSnapshot trace) {
    // An empty trace (a follower that read nothing yet, say after a restart) never erases what status holds.
    if (!trace.spans().isEmpty()) {
      status.setSpans(trace.spans());
      status.setSpanCount(trace.spanCount());
    }
    if (trace.tokens().getTotal() > 0) {
      status.setTokens(trace.tokens());
    }
    if (trace.output() != null) {
      status.setOutput(trace.output());
    }
    if (trace.error() != null) {
      status.setError(trace.error());
    }
    if (trace.dropped().any()) {
      status.setDropped(trace.dropped());
      Conditions.set(status.getConditions(), TRACE_TRUNCATED, true, "BudgetExceeded",
          "left out " + trace.dropped().getSpans() + " spans, " + trace.dropped().getLogs() + " log lines and "
              + trace.dropped().getBytes() + " bytes to stay within the status budget", null);
    }
  }

  // ---- Cancel ---------------------------------------------------------------------------------------

  private UpdateControl<Play> cancel(Play play, PlayStatus status, Optional<Pod> pod, ResourceID id) {
    if (pod.isPresent() && !podEnded(pod.get())) {
      if (pod.get().getMetadata().getDeletionTimestamp() == null) {
        client.pods().inNamespace(play.getMetadata().getNamespace()).withName(pod.get().getMetadata().getName()).delete();
        events.normal(play, "Cancelling", "spec.cancel is true: stopping Pod " + pod.get().getMetadata().getName());
      }
      status.setMessage("cancelling: stopping Pod " + pod.get().getMetadata().getName());
      var trace = followers.existing(id);
      trace.ifPresent(t -> applyTrace(status, t.result().trace()));
      return patch(play, status).rescheduleAfter(Duration.ofSeconds(1));
    }
    var trace = followers.existing(id);
    if (trace.isPresent() && pod.isPresent() && !trace.get().finished()) {
      return UpdateControl.<Play>noUpdate().rescheduleAfter(Duration.ofMillis(300));
    }
    trace.ifPresent(t -> applyTrace(status, t.result().trace()));
    followers.stop(id);
    if (pod.isPresent() && pod.get().getMetadata().getDeletionTimestamp() == null) {
      client.pods().inNamespace(play.getMetadata().getNamespace()).withName(pod.get().getMetadata().getName()).delete();
    }
    Conditions.remove(status.getConditions(), "Running");
    return finish(play, status, PlayPhase.Cancelled, "Cancelled", "cancelled by spec.cancel", Instant.now());
  }

  // ---- Final phases -----------------------------------------------------------------------------------

  private UpdateControl<Play> finish(Play play, PlayStatus status, PlayPhase phase, String reason, String message, Instant at) {
    status.setPhase(phase);
    status.setMessage(message);
    status.setCompletionTime(at.truncatedTo(ChronoUnit.MILLIS).toString());
    setDuration(status, at);
    rootSpanDuration(status).ifPresent(ms -> {
      // The runner's clock measures the flow to the microsecond; Pod times have whole seconds.
      status.setDurationMs(ms);
      status.setDuration(human(ms));
    });
    Conditions.set(status.getConditions(), COMPLETED, true, reason, message, play.getMetadata().getGeneration());
    if (phase == PlayPhase.Succeeded) {
      events.normal(play, "Succeeded", message + " in " + status.getDuration());
    } else {
      events.warning(play, reason, message);
    }
    metrics.finished(play.getSpec().getWorkflow(), phase, status.getDurationMs());
    UpdateControl<Play> update = patch(play, status);
    // A status patch wakes nobody; come back when the Play's time to live is up.
    return ttl(play).map(seconds -> update.rescheduleAfter(Duration.ofSeconds(seconds).plusMillis(100))).orElse(update);
  }

  private Optional<Long> ttl(Play play) {
    return Optional.ofNullable(play.getSpec().getTtlSecondsAfterFinished()).or(config::playTtlSecondsAfterFinished);
  }

  /** Ends the Play as Failed with {@code reason} as its error; {@code rejected} when it never got to run. */
  private UpdateControl<Play> fail(Play play, PlayStatus status, String reason, String message, boolean rejected) {
    if (status.getError() == null) {
      status.setError(new ErrorInfo(reason, message, null));
    }
    if (rejected) {
      Conditions.set(status.getConditions(), READY, false, reason, message, play.getMetadata().getGeneration());
    }
    return finish(play, status, PlayPhase.Failed, reason, message, Instant.now());
  }

  private UpdateControl<Play> wait(Play play, PlayStatus status, String reason, String message) {
    status.setPhase(PlayPhase.Pending);
    status.setMessage(message);
    Conditions.set(status.getConditions(), READY, false, reason, message, play.getMetadata().getGeneration());
    boolean alreadySaid = reason.equals(Conditions.find(play.getStatus().getConditions(), READY).map(c -> c.getReason()).orElse(""));
    if (!alreadySaid && !Integer.valueOf(status.hashCode()).equals(Optional.ofNullable(written.get(play.getMetadata().getUid())).map(Written::hash).orElse(null))) {
      events.normal(play, "Waiting", message);
    }
    return patch(play, status);
  }

  private UpdateControl<Play> afterFinish(Play play) {
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

  private UpdateControl<Play> patch(Play play, PlayStatus status) {
    Written last = written.get(play.getMetadata().getUid());
    int hash = status.hashCode();
    if ((last != null && last.hash() == hash) || status.equals(play.getStatus())) {
      return UpdateControl.noUpdate();
    }
    written.put(play.getMetadata().getUid(), new Written(hash, status.getPhase()));
    metrics.statusPatched();
    play.setStatus(status);
    return StatusPatch.of(play);
  }

  private PlayPhase lastPhase(Play play) {
    Written last = written.get(play.getMetadata().getUid());
    return last == null ? null : last.phase();
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  private static <R extends io.fabric8.kubernetes.api.model.HasMetadata> Optional<R> cached(Context<Play> context, Class<R> type, String name, String namespace) {
    var source = (InformerEventSource<R, Play>) context.eventSourceRetriever().getEventSourceFor(type);
    return source.get(new ResourceID(name, namespace));
  }

  private static Optional<String> waitingReason(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(s -> s.getState() != null && s.getState().getWaiting() != null && s.getState().getWaiting().getReason() != null)
        .map(s -> "Pod " + pod.getMetadata().getName() + " waiting: " + s.getState().getWaiting().getReason()
            + (s.getState().getWaiting().getMessage() != null ? ": " + s.getState().getWaiting().getMessage() : ""))
        .findFirst();
  }

  private static Optional<ContainerStateTerminated> terminated(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getContainerStatuses().stream()
        .filter(s -> s.getState() != null && s.getState().getTerminated() != null)
        .map(s -> s.getState().getTerminated()).findFirst();
  }

  private static String startTime(Pod pod) {
    return pod.getStatus().getContainerStatuses() == null ? pod.getStatus().getStartTime()
        : pod.getStatus().getContainerStatuses().stream()
            .map(s -> s.getState() == null ? null : s.getState().getRunning() != null ? s.getState().getRunning().getStartedAt()
                : s.getState().getTerminated() != null ? s.getState().getTerminated().getStartedAt() : null)
            .filter(java.util.Objects::nonNull).findFirst().orElse(pod.getStatus().getStartTime());
  }

  private static Optional<Long> rootSpanDuration(PlayStatus status) {
    if (status.getSpans() == null || status.getSpans().isEmpty()) {
      return Optional.empty();
    }
    var root = status.getSpans().get(0);
    return root.getDepth() != null && root.getDepth() == 0 ? Optional.ofNullable(root.getDurationMs()) : Optional.empty();
  }

  private static void setDuration(PlayStatus status, Instant until) {
    String start = status.getStartTime() != null ? status.getStartTime() : null;
    if (start == null) {
      return;
    }
    long ms = Math.max(0, Duration.between(Instant.parse(start), until).toMillis());
    // While running, only whole seconds: a status patch per tick just to move milliseconds is waste.
    if (status.getCompletionTime() == null) {
      ms = ms / 1000 * 1000;
    }
    status.setDurationMs(ms);
    status.setDuration(human(ms));
  }

  static String human(long ms) {
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    return s < 3600 ? (s / 60) + "m" + (s % 60) + "s" : (s / 3600) + "h" + (s % 3600 / 60) + "m";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static boolean podEnded(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }
}
