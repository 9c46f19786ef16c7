package io.herologic.operator.logs;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.operator.kube.PodStates;
import io.herologic.operator.trace.SpanAssembler;
import io.herologic.operator.trace.SpanListener;
import io.herologic.operator.trace.TraceLimits;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Follows one flow Pod's log through a {@link PodLogStream} and feeds every line to a
 * {@link SpanAssembler}. A follower holds no thread while it waits: the stream's bytes, and the
 * follower's decisions (re-open, finish), run on a small scheduler all followers share.
 *
 * <p>A stream that breaks while the container runs (or ends just before the Pod says it ended) is
 * re-opened after a backoff and resumes after the last complete line already applied, so nothing
 * is lost or applied twice. A stream that ends cleanly after the container ended has read the whole
 * log, and so has one that ends cleanly after the runner's run_end. After a break once the container
 * ended, the log is tried again with backoff for about a minute (an API server restart must not
 * cost a trace); only then is the trace marked incomplete. A clean end without the runner's run_end
 * is read again a few times over about 3 s first.
 */
final class LogFollower {
  private static final Logger LOG = Logger.getLogger(LogFollower.class);
  static final int MAX_LINE_BYTES = 2 * 1024 * 1024;
  /** How long a clean end of the stream waits for the Pod's status to say the container ended. */
  private static final int END_CHECKS = 15;
  private static final long END_CHECK_MILLIS = 200;
  /** How often the log of an ended container is tried again after a break: about a minute with the backoff. */
  private static final int MAX_REREADS_AFTER_END = 15;
  /** How often a log that ended cleanly without the runner's run_end is read again: 200 ms to 1.6 s apart. */
  private static final int REREADS_WITHOUT_RUN_END = 4;

  final ResourceID play;
  final String pod;
  private final String container;
  private final KubernetesClient client;
  private final Supplier<Optional<Pod>> cachedPod;
  private final ScheduledExecutorService scheduler;
  private final Runnable onEnd;
  private final SpanAssembler assembler;
  private long linesApplied;
  private PodLogStream stream;
  private int failures;
  private int rereadsAfterEnd;
  private int rereadsWithoutRunEnd;
  /** {@link System#nanoTime} when the whole log was read, or it was known it cannot be; null before. */
  private volatile Long finishedAt;
  private volatile boolean stopped;
  private volatile String problem;
  final long createdAt = System.nanoTime();
  private final Coalescer coalescer = new Coalescer(createdAt);
  private final ChangeArrivals arrivals = new ChangeArrivals();

  LogFollower(ResourceID play, String pod, String container, KubernetesClient client, TraceLimits limits,
      Supplier<Optional<Pod>> cachedPod, ScheduledExecutorService scheduler, Runnable onEnd, SpanListener finishedSpans) {
    this.play = play;
    this.pod = pod;
    this.container = container;
    this.client = client;
    this.cachedPod = cachedPod;
    this.scheduler = scheduler;
    this.onEnd = onEnd;
    this.assembler = new SpanAssembler(limits, finishedSpans);
  }

  void start() {
    scheduler.execute(this::open);
  }

  /** True once the whole log was read, or it is known it cannot be. */
  boolean finished() {
    return finishedAt != null;
  }

  /** When it {@link #finished}, by {@link System#nanoTime}. */
  OptionalLong finishedAt() {
    Long at = finishedAt;
    return at == null ? OptionalLong.empty() : OptionalLong.of(at);
  }

  /** Why the log could not be read completely, if it could not. */
  String problem() {
    return problem;
  }

  /** Whether the trace's changes are worth a status write now (see {@link Coalescer}); a true answer counts as woken. */
  synchronized boolean worthWaking(long nowNanos) {
    return coalescer.wakeNow(nowNanos, assembler.version(), assembler.endings(), assembler.heldBytes());
  }

  synchronized LogFollowers.Observed result() {
    arrivals.snapshot(assembler.version());
    return new LogFollowers.Observed(assembler.snapshot(), assembler.runStatus(), assembler.version());
  }

  /** A status write carried the trace at {@code version}: how long the oldest change it carried waited since its line was read. */
  synchronized Optional<Duration> written(long version, long nowNanos) {
    OptionalLong arrived = arrivals.written(version);
    return arrived.isPresent() ? Optional.of(Duration.ofNanos(nowNanos - arrived.getAsLong())) : Optional.empty();
  }

  void stop() {
    stopped = true;
    closeStream();
  }

  /** The Play ended: spans that never ended are finished now (see {@link SpanAssembler#endUnfinished}). */
  synchronized void endUnfinished() {
    assembler.endUnfinished(System.currentTimeMillis() / 1000.0);
  }

  private void open() {
    if (stopped) {
      return;
    }
    LineSplitter sink;
    synchronized (this) {
      sink = new LineSplitter(MAX_LINE_BYTES, linesApplied, this::apply);
    }
    try {
      PodLogStream opened = PodLogStream.open(client, play.getNamespace().orElseThrow(), pod, container, sink, scheduler);
      synchronized (this) {
        stream = opened;
      }
      opened.onClose().whenComplete((error, unexpected) -> scheduler.execute(() -> streamEnded(sink, error != null ? error : unexpected, 0)));
    } catch (RuntimeException e) {
      streamEnded(sink, e, 0);
    }
  }

  private synchronized boolean sawRunEnd() {
    return assembler.runStatus() != null;
  }

  private synchronized void apply(String line) {
    if (!stopped) {
      long before = assembler.version();
      assembler.accept(line);
      if (assembler.version() != before) {
        arrivals.changed(assembler.version(), System.nanoTime());
      }
    }
  }

  private void streamEnded(LineSplitter sink, Throwable error, int endChecks) {
    long seen = sink.seal();
    synchronized (this) {
      linesApplied = Math.max(linesApplied, seen);
    }
    if (stopped || finished()) {
      return;
    }
    if (error == null && sawRunEnd()) {
      // The runner's run_end is the last line it writes, and a clean end of a follow stream is the
      // container's exit: the log is read. Waiting for the Pod's status to say so as well would only
      // cost a status write a second reconcile, or a re-read of the whole log when it is late.
      sink.flushPartial();
      finish(null);
      return;
    }
    Optional<PodStates.PodState> state = cachedPod.get().map(p -> PodStates.of(p, container));
    if (state.isEmpty()) {
      finish(error == null ? null : "Pod " + pod + " was deleted before its log was read to the end");
      return;
    }
    if (state.get().phase().ended()) {
      if (error != null && rereadsAfterEnd < MAX_REREADS_AFTER_END) {
        // The stream broke near the end (the API server or the node restarting, say): the log of an
        // ended container stays readable, so keep trying, with backoff, for a while.
        scheduler.schedule(this::open, backoff(rereadsAfterEnd++), TimeUnit.MILLISECONDS);
      } else if (error == null && !sawRunEnd() && rereadsWithoutRunEnd < REREADS_WITHOUT_RUN_END) {
        // Ended before the runner's last event: a log not yet flushed when it was served, or served
        // by a node agent or API server that is just restarting. Look again, spaced out (about 3 s
        // in all); a flow that was killed never writes it, and only costs that wait.
        scheduler.schedule(this::open, backoff(rereadsWithoutRunEnd++), TimeUnit.MILLISECONDS);
      } else if (error != null) {
        finish("could not read the end of the log after " + rereadsAfterEnd + " tries: " + error);
      } else {
        sink.flushPartial();
        finish(sawRunEnd() ? null : "the log ended without the runner's run_end event (the flow process was killed, or its output was lost)");
      }
      return;
    }
    if (error == null && endChecks < END_CHECKS) {
      // A follow stream ends when the process exits, a moment before the Pod's status says so.
      scheduler.schedule(() -> streamEnded(sink, null, endChecks + 1), END_CHECK_MILLIS, TimeUnit.MILLISECONDS);
      return;
    }
    if (error != null) {
      LOG.debugf("log stream of %s/%s broke: %s", play.getNamespace().orElse(""), pod, error.toString());
    }
    scheduler.schedule(this::open, backoff(failures++), TimeUnit.MILLISECONDS);
  }

  private static long backoff(int attempt) {
    return Math.min(5000, 200L << Math.min(attempt, 5));
  }

  private void finish(String why) {
    problem = why;
    finishedAt = System.nanoTime();
    closeStream();
    endUnfinished();
    onEnd.run();
  }

  private synchronized void closeStream() {
    if (stream != null) {
      stream.close();
      stream = null;
    }
  }
}
