package io.herologic.model;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Starts a Play from a template on a cron schedule, like a CronJob starts Jobs. */
@KindDescription(
    value = "Starts a Play from a template on a cron schedule, as a CronJob starts Jobs. The Plays it starts are named"
        + " <schedule>-<scheduled time in minutes since 1970>, owned by it and labelled herologic.io/schedule.",
    spec = "When to start a Play (a cron expression in a time zone), from which template, and what to do with runs that overlap or were missed.",
    status = "When a Play was last started and which, when the next one starts, and which of its Plays are still running.")
@Group(ApiGroup.GROUP)
@Version(ApiGroup.VERSION)
@ShortNames("hlsched")
@Categories(ApiGroup.CATEGORY)
// The Plays it starts are named <schedule>-<8 digits> and a Play's name has at most 253 characters.
@ValidationRule(value = "self.metadata.name.size() <= " + PlaySchedule.MAX_NAME,
    message = "a PlaySchedule's name has at most " + PlaySchedule.MAX_NAME + " characters, so that the names of its Plays (name-<minutes>) are valid")
@AdditionalPrinterColumn(name = "Schedule", jsonPath = ".spec.schedule", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Time Zone", jsonPath = ".spec.timeZone", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Suspend", jsonPath = ".spec.suspend", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Active", jsonPath = ".status.activeCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Last Schedule", jsonPath = ".status.lastScheduleTime", type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(name = "Last Play", jsonPath = ".status.lastPlay", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Next Run", jsonPath = ".status.nextScheduleTime", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class PlaySchedule extends CustomResource<PlayScheduleSpec, PlayScheduleStatus> implements Namespaced {
  static final int MAX_NAME = 240;

  @Override
  protected PlayScheduleSpec initSpec() {
    return new PlayScheduleSpec();
  }

  @Override
  protected PlayScheduleStatus initStatus() {
    return new PlayScheduleStatus();
  }
}
