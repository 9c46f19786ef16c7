package io.herologic.operator.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.TokenCounts;
import io.herologic.operator.ui.PlayViews.PlayList;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The plays list's search, time range and paging, and a Workflow's run statistics. */
class ListAtScaleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  /** 5,000 Plays in 5 namespaces and 2 workflows, one a minute; every 7th failed. */
  private static List<Play> fiveThousand() {
    List<Play> plays = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      Play play = PlayViewsTest.play("ns-" + (i % 5), String.format("run-%04d", i), i % 2 == 0 ? "hello" : "agent",
          i % 7 == 0 ? PlayPhase.Failed : PlayPhase.Succeeded, T0.plusSeconds(60L * i).toString());
      play.getSpec().setInputs(JSON.valueToTree(Map.of("who", "person-" + i, "steps", i % 10)));
      play.getStatus().setDurationMs(1000L + i % 100);
      plays.add(play);
    }
    return plays;
  }

  @Test
  void fiveThousandPlaysAreSearchedFilteredAndPagedOnTheServer() {
    List<Play> plays = fiveThousand();
    for (int i = 0; i < 5; i++) {
      PlayViews.list(plays, PlayQuery.parse(null, null, null, null)); // warm up the JIT
    }
    long started = System.nanoTime();
    PlayList page = PlayViews.list(plays, PlayQuery.parse(null, null, null, null, null, null, "100", "50"));
    long micros = (System.nanoTime() - started) / 1000;
    System.out.println("ListAtScaleTest: one page of 5,000 Plays in " + micros + " µs");
    assertEquals(5000, page.total());
    assertEquals(50, page.items().size());
    assertEquals("run-4899", page.items().get(0).name(), "newest first, 100 skipped");
    assertEquals("run-4850", page.items().get(49).name());
    assertTrue(page.truncated(), "more after this page");
    assertEquals(100, page.offset());

    PlayList last = PlayViews.list(plays, PlayQuery.parse(null, null, null, null, null, null, "4990", "50"));
    assertEquals(10, last.items().size());
    assertFalse(last.truncated(), "the last page");

    assertEquals(List.of("run-1234"), names(PlayViews.list(plays, PlayQuery.parse(null, null, null, "PERSON-1234", null, null, null, null))),
        "free text finds an input value, any case");
    assertEquals(List.of("run-0042"), names(PlayViews.list(plays, PlayQuery.parse(null, null, null, "run-0042", null, null, null, null))),
        "and a name");
    assertEquals(2500, PlayViews.list(plays, PlayQuery.parse(null, null, null, "agent", null, null, null, "1")).total(), "and a workflow");
    PlayList window = PlayViews.list(plays, PlayQuery.parse("ns-0", null, "failed", null,
        T0.plusSeconds(60L * 1000).toString(), T0.plusSeconds(60L * 1999).toString(), null, "5000"));
    assertTrue(window.items().stream().allMatch(p -> p.namespace().equals("ns-0") && p.phase() == PlayPhase.Failed), window.toString());
    long expected = java.util.stream.IntStream.rangeClosed(1000, 1999).filter(i -> i % 5 == 0 && i % 7 == 0).count();
    assertEquals(expected, window.total(), "namespace, phase and the time range together");
  }

  @Test
  void badPagingOrTimesAreNamed() {
    assertEquals("since: must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got \"yesterday\"",
        assertThrows(IllegalArgumentException.class, () -> PlayQuery.parse(null, null, null, null, "yesterday", null, null, null)).getMessage());
    assertEquals("offset: must be a whole number from 0 to 2147483647, got \"-1\"",
        assertThrows(IllegalArgumentException.class, () -> PlayQuery.parse(null, null, null, null, null, null, "-1", null)).getMessage());
    assertEquals("last: must be a whole number from 1 to 500, got \"0\"",
        assertThrows(IllegalArgumentException.class, () -> WorkflowStats.last("0")).getMessage());
  }

  @Test
  void aWorkflowsStatisticsOverItsLastRuns() {
    List<Play> plays = new ArrayList<>();
    long[] durations = {100, 200, 300, 400, 500, 600, 700, 800, 900, 1000};
    for (int i = 0; i < 10; i++) {
      Play play = PlayViewsTest.play("a", "r" + i, "hello", i < 3 ? PlayPhase.Failed : PlayPhase.Succeeded, T0.plusSeconds(i).toString());
      play.getStatus().setDurationMs(durations[i]);
      TokenCounts tokens = new TokenCounts();
      tokens.setInput(100);
      tokens.setOutput(10);
      tokens.setTotal(110);
      play.getStatus().setTokens(tokens);
      plays.add(play);
    }
    plays.add(PlayViewsTest.play("a", "running", "hello", PlayPhase.Running, T0.plusSeconds(20).toString()));
    plays.add(PlayViewsTest.play("a", "other", "agent", PlayPhase.Succeeded, T0.plusSeconds(30).toString()));
    WorkflowStats.Stats stats = WorkflowStats.of("a", "hello", plays, 50,
        p -> p.getMetadata().getName().equals("r9") ? new PlayCosts.Cost(0.5, Map.of(), List.of()) : new PlayCosts.Cost(null, Map.of(), List.of("llama")));
    assertEquals(11, stats.runs(), "the other workflow's Play is not counted");
    assertEquals(10, stats.finished());
    assertEquals(0.7, stats.successRate(), 1e-9, "7 of the 10 finished; the running one is not counted either way");
    assertEquals(500L, stats.p50Ms(), "nearest rank: the 5th of 10");
    assertEquals(1000L, stats.p95Ms(), "the 10th of 10");
    assertEquals(1000, stats.inputTokens());
    assertEquals(0.5, stats.costUsd());
    assertEquals(List.of("llama"), stats.unpriced());
    assertEquals("r0", stats.series().get(0).name(), "oldest first, for the chart");
    assertEquals("running", stats.series().get(10).name());
    assertEquals(Map.of(PlayPhase.Failed, 3, PlayPhase.Succeeded, 7, PlayPhase.Running, 1), stats.phases());

    WorkflowStats.Stats lastThree = WorkflowStats.of("a", "hello", plays, 3, p -> new PlayCosts.Cost(null, Map.of(), List.of()));
    assertEquals(List.of("r8", "r9", "running"), lastThree.series().stream().map(WorkflowStats.Run::name).toList());
    assertNull(lastThree.costUsd(), "nothing priced: no cost, not zero");
    assertNull(WorkflowStats.of("a", "none", plays, 5, p -> null).successRate());
  }

  private static List<String> names(PlayList list) {
    return list.items().stream().map(PlayViews.PlaySummary::name).toList();
  }
}
