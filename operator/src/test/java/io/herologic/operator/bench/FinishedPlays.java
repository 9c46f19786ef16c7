package io.herologic.operator.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.herologic.model.Play;
import io.herologic.model.PlayHistory;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlayStatus;
import io.herologic.model.Span;
import io.herologic.model.Workflow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finished Plays made directly through the API, no Pod involved: the Play is created, then its
 * status (a Succeeded run with {@code spans} spans, each with a log line and two tags, about what a
 * step of the built-in flows reports) is written through the status subresource, as the operator
 * would have left it. For tests and benchmarks of what the operator does with finished Plays.
 */
public final class FinishedPlays {
  private FinishedPlays() {}

  /**
   * Creates Workflow {@code namespace/name} with the largest history limits, so that the operator's
   * retention keeps every finished Play of it (its version need not exist: nothing runs).
   */
  public static void keepingAll(KubernetesClient client, String namespace, String name) {
    Workflow workflow = new Workflow();
    workflow.getMetadata().setNamespace(namespace);
    workflow.getMetadata().setName(name);
    workflow.getSpec().setCurrentVersion(name + "-v1");
    workflow.getSpec().setHistory(new PlayHistory(10_000, 10_000));
    client.resource(workflow).create();
  }

  /** Creates Play {@code namespace/name} of Workflow {@code workflow}, finished with {@code spans} spans. */
  public static Play create(KubernetesClient client, String namespace, String name, String workflow, int spans) {
    Play play = new Play();
    play.getMetadata().setNamespace(namespace);
    play.getMetadata().setName(name);
    play.getSpec().setWorkflow(workflow);
    Play created = client.resource(play).create();
    created.setStatus(status(name, spans));
    return client.resource(created).updateStatus();
  }

  /** A Succeeded status whose trace is a root span and {@code spans - 1} steps below it. */
  public static PlayStatus status(String name, int spans) {
    Instant start = Instant.parse("2026-12-01T00:00:00Z");
    PlayStatus status = new PlayStatus();
    status.setPhase(PlayPhase.Succeeded);
    status.setMessage("flow bench succeeded");
    status.setFlowName("bench");
    status.setWorkflowVersion("bench-v1");
    status.setTraceId(String.format(Locale.ROOT, "%032x", name.hashCode() & 0xffffffffL));
    status.setStartTime(start.toString());
    status.setCompletionTime(start.plusSeconds(60).toString());
    status.setDurationMs(60_000L);
    status.setDuration("1m0s");
    List<Span> list = new ArrayList<>(spans);
    for (int i = 0; i < spans; i++) {
      Span span = new Span();
      span.setId(String.format(Locale.ROOT, "%016x", i + 1));
      span.setParentId(i == 0 ? null : String.format(Locale.ROOT, "%016x", 1));
      span.setName(i == 0 ? "bench" : "step " + i);
      span.setKind(i == 0 ? "flow" : "step");
      span.setStatus("Ok");
      span.setStartOffsetMs(i * 20L);
      span.setDurationMs(15L);
      ObjectNode tags = JsonNodeFactory.instance.objectNode();
      tags.put("step.index", i);
      tags.put("rpc.service", "calendar");
      span.setTags(tags);
      span.setLogs(List.of("step " + i + " of " + spans + " done: fetched 3 rows from calendar.events"));
      list.add(span);
    }
    status.setSpans(list);
    status.setTraceStartTime(start.toString());
    status.setSpanCount(spans);
    return status;
  }
}
