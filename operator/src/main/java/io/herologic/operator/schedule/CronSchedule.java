package io.herologic.operator.schedule;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A PlaySchedule's cron expression read in its time zone: when runs are due. Parsing is
 * cron-utils' with the UNIX definition (five fields, names like MON and JAN), plus the nicknames
 * a CronJob takes ({@code @daily} and friends), which that definition lacks.
 *
 * <p>Daylight saving time, as cron-utils computes it: a run keeps its local time (09:00 stays
 * 09:00); a local time that does not exist that day (02:30 when clocks jump from 02:00 to 03:00)
 * is skipped that day; one that happens twice (when clocks go back) runs once, the first time.
 */
public final class CronSchedule {
  public static final String DEFAULT_TIME_ZONE = "UTC";
  private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  /** The nicknames, as robfig/cron (the CronJob controller's parser) defines them. */
  private static final Map<String, String> NICKNAMES = Map.of(
      "@yearly", "0 0 1 1 *",
      "@annually", "0 0 1 1 *",
      "@monthly", "0 0 1 * *",
      "@weekly", "0 0 * * 0",
      "@daily", "0 0 * * *",
      "@midnight", "0 0 * * *",
      "@hourly", "0 * * * *");

  private final ExecutionTime times;
  private final ZoneId zone;

  private CronSchedule(ExecutionTime times, ZoneId zone) {
    this.times = times;
    this.zone = zone;
  }

  /** What is wrong with a schedule: the reason for the Ready condition and a message naming the field. */
  public static final class Invalid extends Exception {
    private final String reason;

    Invalid(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }

  /** {@code timeZone} null means UTC. */
  public static CronSchedule parse(String expression, String timeZone) throws Invalid {
    ZoneId zone = zone(timeZone);
    if (expression == null || expression.isBlank()) {
      throw new Invalid("InvalidSchedule", "spec.schedule is empty");
    }
    String trimmed = expression.trim();
    if (trimmed.startsWith("@") && !NICKNAMES.containsKey(trimmed)) {
      throw new Invalid("InvalidSchedule", "spec.schedule \"" + expression + "\" is not one of " + String.join(", ", new TreeSet<>(NICKNAMES.keySet())));
    }
    try {
      var cron = PARSER.parse(NICKNAMES.getOrDefault(trimmed, trimmed));
      cron.validate();
      return new CronSchedule(ExecutionTime.forCron(cron), zone);
    } catch (IllegalArgumentException e) {
      throw new Invalid("InvalidSchedule", "spec.schedule \"" + expression + "\" is not a valid cron expression: " + e.getMessage());
    }
  }

  private static ZoneId zone(String timeZone) throws Invalid {
    String name = timeZone == null ? DEFAULT_TIME_ZONE : timeZone;
    // Region names only, as a CronJob's timeZone: ZoneId.of would also take offsets such as +02:00,
    // which do not follow daylight saving time and are not what the field promises.
    if (!ZoneId.getAvailableZoneIds().contains(name)) {
      throw new Invalid("InvalidTimeZone", "spec.timeZone \"" + name + "\" is not a time zone name of the IANA database (such as Europe/Berlin or UTC)");
    }
    return ZoneId.of(name);
  }

  /** The first run strictly after {@code after}; empty if the expression never fires again (say, 30 February). */
  public Optional<Instant> nextAfter(Instant after) {
    return times.nextExecution(ZonedDateTime.ofInstant(after, zone)).map(ZonedDateTime::toInstant);
  }

  /** The latest run at or before {@code time}, if any. */
  public Optional<Instant> lastAtOrBefore(Instant time) {
    // cron-utils' lastExecution is strictly before its argument: a run exactly at {@code time} is found forwards.
    Optional<Instant> exactly = nextAfter(time.minusSeconds(1)).filter(t -> !t.isAfter(time));
    return exactly.isPresent() ? exactly : times.lastExecution(ZonedDateTime.ofInstant(time, zone)).map(ZonedDateTime::toInstant);
  }

  public ZoneId zone() {
    return zone;
  }
}
