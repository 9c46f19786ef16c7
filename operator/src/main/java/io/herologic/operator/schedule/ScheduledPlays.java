package io.herologic.operator.schedule;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.herologic.model.ApiGroup;
import io.herologic.model.Play;
import io.herologic.model.PlaySchedule;
import io.herologic.model.PlaySpec;
import io.herologic.operator.kube.Labels;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Creates the Play of one scheduled time and deletes Plays of a schedule. The Play's name comes
 * from the schedule and the scheduled time alone, so a second create for the same time (a retried
 * reconcile, a second operator replica, a status that lags) is refused by the API server with 409
 * and no run ever starts twice.
 */
public final class ScheduledPlays {
  /** On every Play a schedule starts: the schedule's name (as a label value). */
  public static final String SCHEDULE_LABEL = ApiGroup.GROUP + "/schedule";
  /** On every Play a schedule starts: the time it was scheduled for (RFC 3339). */
  public static final String SCHEDULED_AT = ApiGroup.GROUP + "/scheduled-at";

  private static final KubernetesSerialization JSON = new KubernetesSerialization();
  private final KubernetesClient client;

  public ScheduledPlays(KubernetesClient client) {
    this.client = client;
  }

  /** {@code <schedule>-<scheduled time in whole minutes since 1970>}. */
  public static String playName(PlaySchedule schedule, Instant scheduled) {
    return schedule.getMetadata().getName() + "-" + Math.floorDiv(scheduled.getEpochSecond(), 60);
  }

  /** The Play a schedule starts for {@code scheduled}: its template, owned by the schedule, labelled and annotated. */
  public static Play build(PlaySchedule schedule, Instant scheduled) {
    var template = schedule.getSpec().getTemplate();
    Map<String, String> labels = new LinkedHashMap<>();
    if (template.getLabels() != null) {
      labels.putAll(template.getLabels());
    }
    labels.put(SCHEDULE_LABEL, Labels.value(schedule.getMetadata().getName()));
    labels.put(Labels.MANAGED_BY, Labels.OPERATOR);
    Map<String, String> annotations = new LinkedHashMap<>();
    if (template.getAnnotations() != null) {
      annotations.putAll(template.getAnnotations());
    }
    annotations.put(SCHEDULED_AT, scheduled.toString());
    Play play = new Play();
    play.getMetadata().setName(playName(schedule, scheduled));
    play.getMetadata().setNamespace(schedule.getMetadata().getNamespace());
    play.getMetadata().setLabels(labels);
    play.getMetadata().setAnnotations(annotations);
    play.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder()
        .withApiVersion(schedule.getApiVersion()).withKind(schedule.getKind()).withName(schedule.getMetadata().getName())
        .withUid(schedule.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true)
        .build()));
    // A copy: the Play must not share objects (inputs, resources) with the cached schedule.
    play.setSpec(JSON.clone(template.getSpec() == null ? new PlaySpec() : template.getSpec()));
    play.setStatus(null);
    return play;
  }

  /** What came of starting the Play of one scheduled time. */
  public enum Started {
    /** Created now. */
    CREATED,
    /** This schedule had started it before (another reconcile, another replica). */
    ALREADY,
    /** A Play of that name exists but is not this schedule's: someone else took the name. */
    NAME_TAKEN
  }

  /** Creates the Play for {@code scheduled}, unless a Play of its name exists. */
  public Started start(PlaySchedule schedule, Instant scheduled) {
    Play play = build(schedule, scheduled);
    try {
      client.resource(play).create();
      return Started.CREATED;
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
    }
    Play existing = client.resources(Play.class).inNamespace(play.getMetadata().getNamespace()).withName(play.getMetadata().getName()).get();
    boolean ours = existing == null // deleted again since (history limits): it was ours to delete
        || Optional.ofNullable(existing.getMetadata().getOwnerReferences()).orElse(List.of()).stream()
            .anyMatch(o -> schedule.getMetadata().getUid().equals(o.getUid()));
    return ours ? Started.ALREADY : Started.NAME_TAKEN;
  }

  /** Deletes a Play of the schedule (history limits, Replace); one already gone is simply gone. */
  public void delete(Play play) {
    client.resources(Play.class).inNamespace(play.getMetadata().getNamespace()).withName(play.getMetadata().getName()).delete();
  }
}
