package io.herologic.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import io.herologic.model.PlaySchedule;
import io.herologic.model.PlaySpec;
import io.herologic.model.PlayTemplate;
import io.herologic.operator.schedule.ScheduledPlays;
import io.herologic.testing.DevCluster;
import io.herologic.testing.DevClusterTest;
import io.herologic.testing.Edits;
import io.herologic.testing.TestNamespace;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * PlaySchedules on the real API server with the packaged operator. The every-minute runs use the
 * real clock rather than a fake one or a seconds field: a minute is the schedule's real unit, the
 * operator carries no test-only time code, and waiting two minutes covers "one Play per time",
 * suspend and the history limit at once, all schedules running side by side.
 */
@DevClusterTest
class PlayScheduleIT {
  private KubernetesClient client;
  private String ns;
  private DevCluster cluster;

  @BeforeEach
  void setUp(DevCluster cluster, KubernetesClient client, TestNamespace namespace) {
    OperatorProcess.running(cluster);
    this.client = client;
    this.ns = namespace.name();
    this.cluster = cluster;
    Flows.install(client, ns, "hello", Flows.builtinSource(cluster, "hello"));
  }

  @Test
  void everyMinuteStartsOnePlayPerTimeKeepsItsHistoryAndSuspendedStartsNone() {
    PlaySchedule tick = create("tick", "* * * * *", s -> s.getSpec().setSuccessfulPlaysHistoryLimit(1));
    create("paused", "* * * * *", s -> s.getSpec().setSuspend(true));

    // Two runs, one minute apart; the older one is deleted once the newer has succeeded too (limit 1).
    Awaitility.await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
        .until(() -> startedEvents("tick").size() >= 2 && succeededPlaysOf("tick").size() == 1
            && !succeededPlaysOf("tick").contains(startedEvents("tick").get(0)));
    List<String> started = startedEvents("tick");
    List<Long> minutes = started.stream().map(n -> Long.parseLong(n.substring("tick-".length()))).toList();
    assertEquals(minutes.stream().distinct().toList(), minutes, "no time started twice: " + started);
    for (int i = 1; i < minutes.size(); i++) {
      assertEquals(minutes.get(i - 1) + 1, minutes.get(i), "one Play for every minute, none skipped: " + started);
    }
    String kept = succeededPlaysOf("tick").iterator().next();
    assertTrue(started.contains(kept), kept + " is one of " + started);
    assertScheduledPlay(tick, Flows.get(client, ns, kept));

    PlaySchedule status = schedule("tick");
    assertEquals("Scheduled", ready(status).getReason());
    Instant last = Instant.parse(status.getStatus().getLastScheduleTime());
    assertEquals(0, last.getEpochSecond() % 60, "runs are due on whole minutes");
    assertEquals(last.plusSeconds(60).toString(), status.getStatus().getNextScheduleTime());
    assertEquals(ScheduledPlays.playName(status, last), status.getStatus().getLastPlay());

    // Suspended all along: nothing started, no next run promised.
    assertEquals(Set.of(), playsOf("paused"));
    PlaySchedule paused = schedule("paused");
    assertEquals("Suspended", ready(paused).getReason());
    assertNull(paused.getStatus().getNextScheduleTime());
    assertNull(paused.getStatus().getLastScheduleTime());

    // Resumed: of the minutes missed meanwhile only the most recent starts, once (as a CronJob's).
    Edits.edit(client.resources(PlaySchedule.class).inNamespace(ns).withName("paused"), s -> {
      s.getSpec().setSuspend(false);
      return s;
    });
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> playsOf("paused").size() == 1);
    String caughtUp = playsOf("paused").iterator().next();
    long minute = Long.parseLong(caughtUp.substring("paused-".length()));
    assertTrue(Instant.now().getEpochSecond() / 60 - minute <= 1, "the most recent missed minute, not an old one: " + caughtUp);
    assertTrue(eventReasons("paused").contains("MissedRuns"), "the missed runs are reported: " + eventReasons("paused"));
  }

  @Test
  void twoStartsForTheSameTimeCreateOnePlay() {
    // Once a year: the operator itself starts nothing during the test.
    PlaySchedule yearly = create("yearly", "0 0 1 1 *", s -> { });
    ScheduledPlays replicaA = new ScheduledPlays(client);
    ScheduledPlays replicaB = new ScheduledPlays(client);
    Instant time = Instant.parse("2026-01-01T00:00:00Z");

    assertEquals(ScheduledPlays.Started.CREATED, replicaA.start(yearly, time));
    assertEquals(ScheduledPlays.Started.ALREADY, replicaB.start(yearly, time), "the second create meets 409");
    assertEquals(ScheduledPlays.Started.ALREADY, replicaA.start(yearly, time.plusSeconds(30)), "the same minute is the same run");
    assertEquals(Set.of("yearly-" + time.getEpochSecond() / 60), playsOf("yearly"));
    assertScheduledPlay(yearly, Flows.get(client, ns, "yearly-" + time.getEpochSecond() / 60));

    // A Play of that name that someone else made is not taken for this schedule's run.
    Instant next = time.plusSeconds(365L * 24 * 3600);
    Flows.play(client, ns, ScheduledPlays.playName(yearly, next), "hello", null);
    assertEquals(ScheduledPlays.Started.NAME_TAKEN, replicaA.start(yearly, next));
  }

  @Test
  void anInvalidScheduleIsRefusedOrReportedNamingTheField() {
    var shape = assertThrows(KubernetesClientException.class, () -> create("four-fields", "* * * *", s -> { }));
    assertTrue(shape.getMessage().contains("schedule must be five cron fields"), shape.getMessage());
    var tz = assertThrows(KubernetesClientException.class, () -> create("offset", "* * * * *", s -> s.getSpec().setTimeZone("+02:00")));
    assertTrue(tz.getMessage().contains("timeZone must be an IANA time zone name"), tz.getMessage());
    var cancel = assertThrows(KubernetesClientException.class,
        () -> create("cancelled", "* * * * *", s -> s.getSpec().getTemplate().getSpec().setCancel(true)));
    assertTrue(cancel.getMessage().contains("cancel has no place in a template"), cancel.getMessage());

    // Right shape, wrong values: the operator says what is wrong and starts nothing.
    create("minute-61", "61 * * * *", s -> { });
    Condition bad = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ready(schedule("minute-61")), c -> c != null);
    assertEquals(List.of("False", "InvalidSchedule"), List.of(bad.getStatus(), bad.getReason()));
    assertTrue(bad.getMessage().startsWith("spec.schedule \"61 * * * *\""), bad.getMessage());
    create("on-mars", "* * * * *", s -> s.getSpec().setTimeZone("Mars/Olympus_Mons"));
    Condition mars = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ready(schedule("on-mars")), c -> c != null);
    assertEquals(List.of("False", "InvalidTimeZone"), List.of(mars.getStatus(), mars.getReason()));
    assertTrue(mars.getMessage().contains("spec.timeZone \"Mars/Olympus_Mons\""), mars.getMessage());
    assertTrue(eventReasons("on-mars").contains("InvalidTimeZone"));

    // The template is edited like a CronJob's (a Play's spec is not), and the fix is picked up.
    Edits.edit(client.resources(PlaySchedule.class).inNamespace(ns).withName("minute-61"), s -> {
      s.getSpec().setSchedule("0 9 * * MON-FRI");
      s.getSpec().setTimeZone("Europe/Berlin");
      s.getSpec().getTemplate().getSpec().setVersion("hello-v1");
      s.getSpec().getTemplate().getSpec().setInputs(Flows.json("{\"name\": \"Ada\"}"));
      return s;
    });
    Condition fixed = Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ready(schedule("minute-61")), c -> "True".equals(c.getStatus()));
    assertEquals("Scheduled", fixed.getReason());
    var nextRun = java.time.ZonedDateTime.ofInstant(Instant.parse(schedule("minute-61").getStatus().getNextScheduleTime()),
        java.time.ZoneId.of("Europe/Berlin"));
    assertEquals(List.of(9, 0), List.of(nextRun.getHour(), nextRun.getMinute()), "09:00 in Berlin: " + nextRun);
    assertEquals(Set.of(), playsOf("minute-61"));
    assertEquals(Set.of(), playsOf("on-mars"));
  }

  @Test
  void twoOperatorReplicasWithoutLeaderElectionStartEachTimeOnce() {
    OperatorProcess shared = OperatorProcess.running(cluster);
    shared.stopForAWhile();
    List<OperatorProcess> replicas = new ArrayList<>();
    try {
      for (String host : List.of("replica-a", "replica-b")) {
        replicas.add(OperatorProcess.launch(cluster, cluster.kubeconfig(),
            Map.of("HOSTNAME", host, "QUARKUS_LOG_CATEGORY__IO_HEROLOGIC_OPERATOR_SCHEDULE__LEVEL", "DEBUG")));
      }
      // Its Workflow does not exist, so its Plays wait Pending: the replicas race only on starting them.
      create("racing", "* * * * *", s -> s.getSpec().getTemplate().getSpec().setWorkflow("not-installed"));
      // Both replicas wake at every minute and create the same name; the loser meets 409 and reports nothing.
      Awaitility.await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
          .until(() -> playsOf("racing").size() >= 2 && new TreeSet<>(startedEvents("racing")).equals(playsOf("racing")));
      List<String> started = startedEvents("racing");
      assertEquals(started.stream().distinct().toList(), started, "each Play started (and reported) once: " + started);
      List<Long> minutes = started.stream().map(n -> Long.parseLong(n.substring("racing-".length()))).toList();
      for (int i = 1; i < minutes.size(); i++) {
        assertEquals(minutes.get(i - 1) + 1, minutes.get(i), "one Play per minute: " + started);
      }
      for (OperatorProcess replica : replicas) {
        assertTrue(replica.log().contains("'playschedule' controller started"), "both replicas reconcile schedules");
      }
      // Whether a create actually lost the race depends on timing (it did in every run so far): shown, not asserted.
      boolean raced = replicas.stream().anyMatch(r -> r.log().contains("was started before"));
      System.out.println("PlaySchedule replicas met a 409 for the same time: " + raced);
    } finally {
      replicas.forEach(OperatorProcess::stop);
      shared.start();
    }
  }

  @Test
  void theKindIsServedWithItsShortNameColumnsAndDocs() {
    var crd = client.apiextensions().v1().customResourceDefinitions().withName("playschedules.herologic.io").get();
    assertEquals(List.of("hlsched"), crd.getSpec().getNames().getShortNames());
    assertTrue(crd.getSpec().getNames().getCategories().contains("herologic"), "kubectl get herologic lists it");
    var version = crd.getSpec().getVersions().get(0);
    assertTrue(version.getSubresources().getStatus() != null, "status is a subresource");
    assertEquals(List.of("Schedule", "Time Zone", "Suspend", "Active", "Last Schedule", "Last Play", "Next Run", "Age"),
        version.getAdditionalPrinterColumns().stream().map(c -> c.getName()).toList());
    var root = version.getSchema().getOpenAPIV3Schema();
    assertTrue(root.getDescription().startsWith("Starts a Play from a template on a cron schedule"), root.getDescription());
    var spec = root.getProperties().get("spec").getProperties();
    assertTrue(spec.get("schedule").getDescription().startsWith("When to start a Play, in cron syntax"));
    assertTrue(spec.get("template").getProperties().get("spec").getProperties().get("inputs").getDescription().startsWith("Inputs of the flow"),
        "kubectl explain playschedule.spec.template.spec shows a Play's field docs");
  }

  private void assertScheduledPlay(PlaySchedule schedule, Play play) {
    var owner = play.getMetadata().getOwnerReferences().get(0);
    assertEquals(List.of("PlaySchedule", schedule.getMetadata().getName(), schedule.getMetadata().getUid(), true),
        List.of(owner.getKind(), owner.getName(), owner.getUid(), owner.getController()));
    assertEquals(schedule.getMetadata().getName(), play.getMetadata().getLabels().get(ScheduledPlays.SCHEDULE_LABEL));
    Instant at = Instant.parse(play.getMetadata().getAnnotations().get(ScheduledPlays.SCHEDULED_AT));
    assertEquals(ScheduledPlays.playName(schedule, at), play.getMetadata().getName(), "named after its scheduled time");
    assertEquals("hello", play.getSpec().getWorkflow());
  }

  private PlaySchedule create(String name, String cron, Consumer<PlaySchedule> settings) {
    PlaySchedule schedule = new PlaySchedule();
    schedule.getMetadata().setName(name);
    schedule.getMetadata().setNamespace(ns);
    schedule.getSpec().setSchedule(cron);
    PlayTemplate template = new PlayTemplate();
    PlaySpec spec = new PlaySpec();
    spec.setWorkflow("hello");
    template.setSpec(spec);
    template.setLabels(Map.of("team", "a"));
    schedule.getSpec().setTemplate(template);
    settings.accept(schedule);
    return client.resource(schedule).create();
  }

  private PlaySchedule schedule(String name) {
    return client.resources(PlaySchedule.class).inNamespace(ns).withName(name).get();
  }

  private static Condition ready(PlaySchedule schedule) {
    return schedule.getStatus() == null || schedule.getStatus().getConditions() == null ? null
        : schedule.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
  }

  private Set<String> playsOf(String schedule) {
    return client.resources(Play.class).inNamespace(ns).withLabel(ScheduledPlays.SCHEDULE_LABEL, schedule).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null).map(p -> p.getMetadata().getName()).collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> succeededPlaysOf(String schedule) {
    return client.resources(Play.class).inNamespace(ns).withLabel(ScheduledPlays.SCHEDULE_LABEL, schedule).list().getItems().stream()
        .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
        .filter(p -> p.getStatus() != null && p.getStatus().getPhase() == PlayPhase.Succeeded)
        .map(p -> p.getMetadata().getName()).collect(Collectors.toCollection(TreeSet::new));
  }

  /** The Plays the schedule reported starting, in order: one Started Event per Play created. */
  private List<String> startedEvents(String schedule) {
    return events(schedule).stream().filter(e -> "Started".equals(e.getReason()))
        .map(e -> e.getMessage().split(" ")[2]).sorted().toList();
  }

  private List<String> eventReasons(String schedule) {
    return events(schedule).stream().map(Event::getReason).toList();
  }

  private List<Event> events(String schedule) {
    return client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> "PlaySchedule".equals(e.getInvolvedObject().getKind()) && schedule.equals(e.getInvolvedObject().getName()))
        .toList();
  }
}
