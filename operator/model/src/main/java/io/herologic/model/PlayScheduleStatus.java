package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import lombok.Data;

@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlayScheduleStatus {
  @JsonPropertyDescription("The metadata.generation this status was computed from.")
  private Long observedGeneration;

  @JsonPropertyDescription("The scheduled time (RFC 3339) of the last Play started; runs are counted from here after a restart.")
  private String lastScheduleTime;

  @JsonPropertyDescription("Name of the last Play started.")
  private String lastPlay;

  @JsonPropertyDescription("When the next Play is due (RFC 3339); unset while suspended or when the schedule is invalid.")
  private String nextScheduleTime;

  @JsonPropertyDescription("This schedule's Plays that have not finished yet.")
  private List<String> active = new ArrayList<>();

  @JsonPropertyDescription("How many of this schedule's Plays have not finished yet.")
  private Integer activeCount;

  @JsonPropertyDescription("Ready: whether the schedule and time zone are valid (reasons Scheduled, Suspended, InvalidSchedule, InvalidTimeZone).")
  private List<Condition> conditions = new ArrayList<>();
}
