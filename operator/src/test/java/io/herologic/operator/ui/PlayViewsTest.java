package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.herologic.model.DroppedCounts;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.Span;
import io.herologic.model.TokenCounts;
import io.herologic.operator.ui.PlayViews.PlayDetail;
import io.herologic.operator.ui.PlayViews.PlayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlayViewsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Play play(String namespace, String name, String workflow, PlayPhase phase, String created) {
    Play play = new Play();
    play.getMetadata().setNamespace(namespace);
    play.getMetadata().setName(name);
    play.getMetadata().setCreationTimestamp(created);
    play.getMetadata().setUid("uid-" + name);
    play.getMetadata().setResourceVersion("7");
    play.getSpec().setWorkflow(workflow);
    play.getStatus().setPhase(phase);
    return play;
  }

  private final List<Play> plays = List.of(
      play("a", "old", "hello", PlayPhase.Succeeded, "2025-01-01T10:00:00Z"),
      play("a", "new", "hello", PlayPhase.Running, "2025-01-01T12:00:00Z"),
      play("b", "mid", "agent", PlayPhase.Failed, "2025-01-01T11:00:00Z"),
      play("b", "fresh", "agent", null, "2025-01-01T13:00:00Z"),
      play("a", "same-second-z", "hello", PlayPhase.Cancelled, "2025-01-01T09:00:00Z"),
      play("a", "same-second-y", "hello", PlayPhase.Cancelled, "2025-01-01T09:00:00Z"));

  private static List<String> names(PlayList list) {
    return list.items().stream().map(PlayViews.PlaySummary::name).toList();
  }

  @Test
  void newestFirstThenByNameForTheSameSecond() {
    PlayList list = PlayViews.list(plays, PlayQuery.parse(null, null, null, null));
    assertEquals(List.of("fresh", "new", "mid", "old", "same-second-y", "same-second-z"), names(list));
    assertEquals(6, list.total());
    assertFalse(list.truncated());
  }

  @Test
  void filtersByNamespaceWorkflowAndPhases() {
    assertEquals(List.of("new", "old", "same-second-y", "same-second-z"), names(PlayViews.list(plays, PlayQuery.parse("a", "", "", ""))));
    assertEquals(List.of("fresh", "mid"), names(PlayViews.list(plays, PlayQuery.parse(null, "agent", null, null))));
    assertEquals(List.of("new", "mid"), names(PlayViews.list(plays, PlayQuery.parse(null, null, "running, FAILED", null))));
    assertEquals(List.of(), names(PlayViews.list(plays, PlayQuery.parse("a", "agent", null, null))));
  }

  @Test
  void aPlayWithoutPhaseIsPending() {
    assertEquals(List.of("fresh"), names(PlayViews.list(plays, PlayQuery.parse(null, null, "Pending", null))));
    assertEquals(PlayPhase.Pending, PlayViews.summary(plays.get(3)).phase());
  }

  @Test
  void theFacetsIgnoreTheOtherFiltersAndWorkflowsFollowTheNamespace() {
    PlayList list = PlayViews.list(plays, PlayQuery.parse("b", null, "Failed", null));
    assertEquals(List.of("a", "b"), list.namespaces());
    assertEquals(List.of("agent"), list.workflows());
    assertEquals(List.of("agent", "hello"), PlayViews.list(plays, PlayQuery.parse(null, null, null, null)).workflows());
  }

  @Test
  void theLimitCutsThePageButTheTotalCountsAll() {
    PlayList list = PlayViews.list(plays, PlayQuery.parse(null, null, null, "2"));
    assertEquals(List.of("fresh", "new"), names(list));
    assertEquals(6, list.total());
    assertTrue(list.truncated());
  }

  @Test
  void badParametersAreNamed() {
    var phase = assertThrows(IllegalArgumentException.class, () -> PlayQuery.parse(null, null, "Running,Done", null));
    assertTrue(phase.getMessage().startsWith("phase: unknown phase \"Done\""), phase.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PlayQuery.parse(null, null, null, "0"));
    assertThrows(IllegalArgumentException.class, () -> PlayQuery.parse(null, null, null, "lots"));
    assertThrows(IllegalArgumentException.class, () -> PlayQuery.parse(null, null, null, String.valueOf(PlayQuery.MAX_LIMIT + 1)));
    assertEquals(Set.of(), PlayQuery.parse(null, null, " , ", null).phases());
  }

  @Test
  void theSummaryCarriesWhatTheListShows() {
    Play play = play("a", "p", "hello", PlayPhase.Succeeded, "2025-01-01T10:00:00Z");
    play.getSpec().setVersion("hello-v1");
    play.getStatus().setWorkflowVersion("hello-v2");
    play.getStatus().setDuration("1.5s");
    play.getStatus().setDurationMs(1500L);
    play.getStatus().setTokens(new TokenCounts(10, 5, 15));
    var summary = PlayViews.summary(play);
    assertEquals("hello-v2", summary.version(), "the resolved version wins over the requested one");
    assertEquals(15L, summary.tokens());
    assertEquals("1.5s", summary.duration());
    play.getStatus().setWorkflowVersion(null);
    assertEquals("hello-v1", PlayViews.summary(play).version());
  }

  @Test
  void theDetailTellsAPollerWhenToStopAndWhatWasDropped() throws Exception {
    Play play = play("a", "p", "hello", PlayPhase.Running, "2025-01-01T10:00:00Z");
    play.getSpec().setInputs((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree("{\"name\":\"Ada\"}"));
    Span root = new Span();
    root.setId("1");
    root.setName("hello");
    root.setStartOffsetMs(0L);
    play.getStatus().setSpans(List.of(root));
    play.getStatus().setTraceStartTime("2025-01-01T10:00:01.250Z");
    play.getStatus().setDropped(new DroppedCounts(0, 0, 0));
    PlayDetail running = PlayViews.detail(play, PriceTable.NONE);
    assertFalse(running.finished());
    assertNull(running.dropped(), "nothing dropped, nothing said");
    assertNull(running.traceTruncated());
    assertSame(root, running.spans().get(0));
    assertEquals("2025-01-01T10:00:01.250Z", running.traceStartTime(), "the UI counts span starts from it");
    assertEquals("Ada", running.inputs().get("name").asText());

    play.getStatus().setPhase(PlayPhase.Failed);
    play.getStatus().setDropped(new DroppedCounts(3, 4, 5));
    play.getStatus().getConditions().add(new ConditionBuilder().withType("TraceTruncated").withStatus("True").withMessage("3 spans dropped").build());
    PlayDetail failed = PlayViews.detail(play, PriceTable.NONE);
    assertTrue(failed.finished());
    assertEquals(3, failed.dropped().getSpans());
    assertEquals("3 spans dropped", failed.traceTruncated().getMessage());
  }

  @Test
  void aPlayWithNoStatusYetStillHasADetail() {
    Play play = play("a", "p", "hello", null, null);
    play.setStatus(null);
    PlayDetail detail = PlayViews.detail(play, PriceTable.NONE);
    assertEquals(PlayPhase.Pending, detail.phase());
    assertEquals(List.of(), detail.spans());
    assertEquals(List.of(), detail.conditions());
  }

  @Test
  void theEtagChangesWithTheResourceVersion() {
    Play play = play("a", "p", "hello", PlayPhase.Running, null);
    String before = PlayViews.etag(play);
    play.getMetadata().setResourceVersion("8");
    assertFalse(before.equals(PlayViews.etag(play)));
  }
}
