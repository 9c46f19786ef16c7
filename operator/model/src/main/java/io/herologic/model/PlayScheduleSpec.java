package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlayScheduleSpec {
  public static final int DEFAULT_SUCCESSFUL_HISTORY = 3;
  public static final int DEFAULT_FAILED_HISTORY = 1;

  // CEL checks the shape only (five fields of cron characters, or a nickname); the operator parses
  // the expression fully and names what is wrong in the Ready condition.
  @Required
  @Size(max = 128)
  @ValidationRule(
      value = "self.matches('^ *(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|([0-9A-Za-z*/,?-]+ +){4}[0-9A-Za-z*/,?-]+) *$')",
      message = "schedule must be five cron fields separated by spaces (minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\")"
          + " or one of @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly; use spec.timeZone instead of TZ= or CRON_TZ=")
  @JsonPropertyDescription("When to start a Play, in cron syntax: minute hour day-of-month month day-of-week (\"0 3 * * 1-5\": 03:00 on weekdays), or @hourly, @daily, @weekly, @monthly, @yearly.")
  private String schedule;

  @Size(max = 64)
  @ValidationRule(
      value = "self.matches('^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$')",
      message = "timeZone must be an IANA time zone name such as Europe/Berlin or UTC")
  @JsonPropertyDescription("IANA time zone the schedule is read in, such as Europe/Berlin. Default: UTC.")
  private String timeZone;

  @Required
  @JsonPropertyDescription("The Play to start each time.")
  private PlayTemplate template;

  @JsonPropertyDescription("What to do when a run is due while an earlier Play of this schedule still runs: Allow (start it anyway), Forbid (skip it), Replace (delete the running Plays, then start it). Default: Allow.")
  private ScheduleConcurrencyPolicy concurrencyPolicy;

  @Min(0)
  @JsonPropertyDescription("A run that could not start within this many seconds of its scheduled time (the operator was down, or Forbid held it back) is skipped. Without it a missed run starts late, but only the most recent one, as with a CronJob.")
  private Long startingDeadlineSeconds;

  @JsonPropertyDescription("true: start no new Plays (runs missed meanwhile are not made up later unless still within startingDeadlineSeconds). Plays already started go on. Default false.")
  private Boolean suspend;

  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Succeeded Plays of this schedule to keep; older ones are deleted with their Pods. Default 3.")
  private Integer successfulPlaysHistoryLimit;

  @Min(0)
  @Max(1000)
  @JsonPropertyDescription("Failed and Cancelled Plays of this schedule to keep; older ones are deleted with their Pods. Default 1.")
  private Integer failedPlaysHistoryLimit;

  @JsonIgnore
  public boolean isSuspended() {
    return Boolean.TRUE.equals(suspend);
  }

  @JsonIgnore
  public ScheduleConcurrencyPolicy concurrency() {
    return concurrencyPolicy == null ? ScheduleConcurrencyPolicy.Allow : concurrencyPolicy;
  }

  @JsonIgnore
  public int successfulHistory() {
    return successfulPlaysHistoryLimit == null ? DEFAULT_SUCCESSFUL_HISTORY : successfulPlaysHistoryLimit;
  }

  @JsonIgnore
  public int failedHistory() {
    return failedPlaysHistoryLimit == null ? DEFAULT_FAILED_HISTORY : failedPlaysHistoryLimit;
  }
}
