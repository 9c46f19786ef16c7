package io.herologic.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;
import lombok.Data;

/**
 * The Play a PlaySchedule starts each time. Its spec is a Play's spec; the immutability rules of a
 * Play's spec are left out of this copy by the CRD generator (GenerateCrds): a template is edited
 * like a CronJob's, and only the Plays already started are records.
 */
@Data
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PlayTemplate {
  @JsonPropertyDescription("Labels added to every Play started from this template (the operator's own labels win on a clash).")
  private Map<String, String> labels;

  @JsonPropertyDescription("Annotations added to every Play started from this template.")
  private Map<String, String> annotations;

  @Required
  @ValidationRule(value = "!has(self.cancel)", message = "cancel has no place in a template: suspend the schedule, or cancel a Play it started")
  @JsonPropertyDescription("The spec of every Play started: workflow, version, inputs and settings, as in a Play.")
  private PlaySpec spec;
}
