package io.herologic.operator.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CronScheduleTest {
  private static Instant at(String utc) {
    return Instant.parse(utc);
  }

  private static List<Instant> runs(CronSchedule cron, Instant from, int count) {
    List<Instant> runs = new ArrayList<>();
    Instant t = from;
    for (int i = 0; i < count; i++) {
      t = cron.nextAfter(t).orElseThrow();
      runs.add(t);
    }
    return runs;
  }

  @Test
  void everyMinuteRunsOnWholeMinutesStrictlyAfter() throws Exception {
    CronSchedule cron = CronSchedule.parse("* * * * *", null);
    assertEquals(List.of(at("2026-12-01T10:01:00Z"), at("2026-12-01T10:02:00Z")), runs(cron, at("2026-12-01T10:00:00Z"), 2));
    assertEquals(at("2026-12-01T10:01:00Z"), cron.nextAfter(at("2026-12-01T10:00:59.999Z")).orElseThrow());
  }

  @Test
  void withoutTimeZoneTheScheduleIsReadInUtc() throws Exception {
    assertEquals("UTC", CronSchedule.parse("0 9 * * *", null).zone().getId());
    assertEquals(at("2026-07-01T09:00:00Z"), CronSchedule.parse("0 9 * * *", null).nextAfter(at("2026-07-01T00:00:00Z")).orElseThrow());
  }

  @Test
  void aDailyRunKeepsItsLocalTimeAcrossDaylightSavingTime() throws Exception {
    CronSchedule cron = CronSchedule.parse("0 9 * * *", "Europe/Berlin");
    // Berlin moves from UTC+1 to UTC+2 on 29 March 2026 and back on 25 October 2026.
    assertEquals(List.of(at("2026-03-28T08:00:00Z"), at("2026-03-29T07:00:00Z"), at("2026-03-30T07:00:00Z")),
        runs(cron, at("2026-03-27T12:00:00Z"), 3));
    assertEquals(List.of(at("2026-10-24T07:00:00Z"), at("2026-10-25T08:00:00Z")), runs(cron, at("2026-10-23T12:00:00Z"), 2));
  }

  @Test
  void theSameExpressionInAnotherZoneFiresAtAnotherInstant() throws Exception {
    Instant from = at("2026-01-15T00:00:00Z");
    assertEquals(at("2026-01-15T14:00:00Z"), CronSchedule.parse("0 9 * * *", "America/New_York").nextAfter(from).orElseThrow());
    assertEquals(at("2026-01-15T00:00:00Z"), CronSchedule.parse("0 9 * * *", "Asia/Tokyo").nextAfter(at("2026-01-14T12:00:00Z")).orElseThrow());
  }

  @Test
  void aRunInTheSkippedHourOfSpringForwardIsSkippedThatDay() throws Exception {
    // 02:30 does not exist in Berlin on 29 March 2026 (02:00 jumps to 03:00): the next run is on the 30th, 02:30 CEST.
    CronSchedule cron = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
    assertEquals(List.of(at("2026-03-30T00:30:00Z"), at("2026-03-31T00:30:00Z")), runs(cron, at("2026-03-28T12:00:00Z"), 2));
  }

  @Test
  void aRunInTheRepeatedHourOfFallBackRunsOnceTheFirstTime() throws Exception {
    // 02:30 happens twice in Berlin on 25 October 2026 (03:00 CEST goes back to 02:00 CET): it runs at 02:30 CEST only.
    CronSchedule cron = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
    assertEquals(List.of(at("2026-10-25T00:30:00Z"), at("2026-10-26T01:30:00Z"), at("2026-10-27T01:30:00Z")),
        runs(cron, at("2026-10-24T12:00:00Z"), 3));
  }

  @Test
  void nicknamesAndNamesAreUnderstood() throws Exception {
    assertEquals(at("2026-12-02T00:00:00Z"), CronSchedule.parse("@daily", null).nextAfter(at("2026-12-01T10:00:00Z")).orElseThrow());
    assertEquals(at("2027-01-01T00:00:00Z"), CronSchedule.parse("@yearly", null).nextAfter(at("2026-12-01T10:00:00Z")).orElseThrow());
    assertEquals(at("2026-12-06T00:00:00Z"), CronSchedule.parse("@weekly", null).nextAfter(at("2026-12-01T10:00:00Z")).orElseThrow());
    assertEquals(at("2026-12-01T11:00:00Z"), CronSchedule.parse("@hourly", null).nextAfter(at("2026-12-01T10:00:00Z")).orElseThrow());
    // 1 December 2026 is a Tuesday.
    assertEquals(at("2026-12-07T06:00:00Z"), CronSchedule.parse("0 6 * * MON", null).nextAfter(at("2026-12-01T10:00:00Z")).orElseThrow());
    assertEquals(at("2026-12-01T10:15:00Z"), CronSchedule.parse("*/15 * * * *", null).nextAfter(at("2026-12-01T10:00:00Z")).orElseThrow());
  }

  @Test
  void lastAtOrBeforeIncludesARunExactlyAtThatTime() throws Exception {
    CronSchedule cron = CronSchedule.parse("*/5 * * * *", null);
    assertEquals(Optional.of(at("2026-12-01T10:05:00Z")), cron.lastAtOrBefore(at("2026-12-01T10:05:00Z")));
    assertEquals(Optional.of(at("2026-12-01T10:05:00Z")), cron.lastAtOrBefore(at("2026-12-01T10:09:59Z")));
    assertEquals(Optional.of(at("2026-12-01T10:00:00Z")), cron.lastAtOrBefore(at("2026-12-01T10:04:59.5Z")));
  }

  @Test
  void invalidExpressionsAreRefusedNamingTheField() {
    for (String bad : List.of("61 * * * *", "* * * *", "* 25 * * *", "hello world * * *", "", "@reboot", "@every 5m", "* * * * * *")) {
      var e = assertThrows(CronSchedule.Invalid.class, () -> CronSchedule.parse(bad, null), bad);
      assertEquals("InvalidSchedule", e.reason(), bad);
      assertTrue(e.getMessage().startsWith("spec.schedule"), e.getMessage());
    }
  }

  @Test
  void timeZonesMustBeIanaNames() {
    for (String bad : List.of("Mars/Olympus_Mons", "+02:00", "CEST", "europe/berlin")) {
      var e = assertThrows(CronSchedule.Invalid.class, () -> CronSchedule.parse("* * * * *", bad), bad);
      assertEquals("InvalidTimeZone", e.reason(), bad);
      assertTrue(e.getMessage().contains("spec.timeZone \"" + bad + "\""), e.getMessage());
    }
  }
}
