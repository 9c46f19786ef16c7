package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.herologic.model.Play;
import io.herologic.model.PlaySpec;
import io.herologic.operator.play.PlayNames;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * What the UI does as the signed-in person: run a Workflow, re-run a Play, cancel and delete one,
 * and read what RBAC should decide who sees (a Play's Events, its Pod's log). Every
 * call goes to the API server as the signed-in person ({@link UserClients}, with the bearer token
 * {@link UiAccessFilter} checked), never as the operator, so RBAC and the admission policies decide
 * and a refusal comes back with the API server's own message and status code.
 *
 * <p>A write a page of another site made the browser send (possible behind an auth proxy that adds
 * the Authorization header to every request) is refused before it gets here
 * ({@link UiAccessFilter#crossSite}); the cross-site request forgery that proxy would invite.
 */
// The same class path as UiApi: RESTEasy Reactive picks one class per request path before the method,
// so a narrower class path here would hide UiApi's GETs below it.
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class UiActions {
  static final String RERUN_OF = "herologic.io/rerun-of";
  static final String NO_USER = "Actions are off: the UI runs with HEROLOGIC_UI_AUTH=none, so there is no signed-in user to act as,"
      + " and the operator does not lend its own rights. Use kubectl, or run the UI with token authentication.";

  static final String NO_USER_TO_READ_AS = "Events and Pod logs are read as the signed-in user, and the UI runs with"
      + " HEROLOGIC_UI_AUTH=none: there is no user to read as. Use kubectl, or run the UI with token authentication.";
  /** The most of a Pod's log one request returns: its last lines, at most this many bytes. */
  static final int LOG_TAIL_LINES = 5000;
  static final int LOG_LIMIT_BYTES = 1024 * 1024;

  private final UserClients clients;
  private final UiCaches caches;
  private final NamespaceAccess access;

  public UiActions(UserClients clients, UiCaches caches, NamespaceAccess access) {
    this.clients = clients;
    this.caches = caches;
    this.access = access;
  }

  /** One Kubernetes Event about the Play or its Pod. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record EventView(String kind, String object, String type, String reason, String message, Integer count,
      String firstTime, String lastTime, String source) {}

  /** The Events of the Play and of its Pod, oldest first, read with the viewer's token. */
  @GET
  @Path("namespaces/{namespace}/plays/{name}/events")
  public List<EventView> events(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    Play play = readablePlay(routing, namespace, name);
    String pod = play.getStatus() == null ? null : play.getStatus().getPodName();
    return asUser(routing, NO_USER_TO_READ_AS, user -> {
      List<Event> events = new ArrayList<>(eventsAbout(user, namespace, "Play", name));
      if (pod != null) {
        events.addAll(eventsAbout(user, namespace, "Pod", pod));
      }
      return events.stream().map(UiActions::eventView)
          .sorted(Comparator.comparing((EventView e) -> Objects.toString(e.lastTime(), ""))).toList();
    });
  }

  /** The flow Pod's log as it is (the last {@value #LOG_TAIL_LINES} lines, at most 1 MiB), read with the viewer's token. */
  @GET
  @Path("namespaces/{namespace}/plays/{name}/log")
  @Produces(MediaType.TEXT_PLAIN)
  public Response log(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    Play play = readablePlay(routing, namespace, name);
    String pod = play.getStatus() == null ? null : play.getStatus().getPodName();
    if (pod == null) {
      throw new WebApplicationException(Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
          .entity(new UiApi.ApiError("Play " + namespace + "/" + name + " has no Pod (yet)")).build());
    }
    String text = asUser(routing, NO_USER_TO_READ_AS, user -> user.pods().inNamespace(namespace).withName(pod)
        .inContainer(PlayNames.CONTAINER).limitBytes(LOG_LIMIT_BYTES).tailingLines(LOG_TAIL_LINES).getLog());
    return Response.ok(text == null ? "" : text, MediaType.TEXT_PLAIN_TYPE.withCharset("utf-8")).header("X-Herologic-Pod", pod).build();
  }

  /** The Play from the cache, if the viewer may read Plays there: its name alone says nothing to others (404 as for none). */
  private Play readablePlay(RoutingContext routing, String namespace, String name) {
    Viewer viewer = routing == null ? null : routing.get(Viewer.CONTEXT_KEY);
    return caches.play(namespace, name).filter(p -> viewer != null && access.mayRead(viewer, namespace, UiResource.PLAYS))
        .orElseThrow(() -> new WebApplicationException(Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
            .entity(new UiApi.ApiError("Play " + namespace + "/" + name + " not found")).build()));
  }

  private static List<Event> eventsAbout(KubernetesClient user, String namespace, String kind, String name) {
    return user.v1().events().inNamespace(namespace).withField("involvedObject.kind", kind).withField("involvedObject.name", name)
        .list().getItems();
  }

  private static EventView eventView(Event e) {
    String last = e.getLastTimestamp() != null ? e.getLastTimestamp()
        : e.getEventTime() != null ? e.getEventTime().getTime() : e.getMetadata().getCreationTimestamp();
    String source = e.getSource() != null && e.getSource().getComponent() != null ? e.getSource().getComponent() : e.getReportingComponent();
    return new EventView(e.getInvolvedObject().getKind(), e.getInvolvedObject().getName(), e.getType(), e.getReason(), e.getMessage(),
        e.getCount(), e.getFirstTimestamp(), last, source);
  }

  /**
   * Run a Workflow. {@code rerunOf} names a Play to run again: its spec is copied (the version it
   * ran, limits, image, LLM settings), with {@code inputs} in place of its inputs when given.
   */
  public record RunRequest(String workflow, String version, String name, JsonNode inputs, String rerunOf) {}

  /** The Play an action created or changed. */
  public record PlayRef(String namespace, String name) {}

  @POST
  @Path("namespaces/{namespace}/plays")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response run(@PathParam("namespace") String namespace, RunRequest request, @Context RoutingContext routing) {
    if (request == null) {
      throw new IllegalArgumentException("the body must be a JSON object with at least \"workflow\"");
    }
    if (request.inputs() != null && !request.inputs().isNull() && !request.inputs().isObject()) {
      throw new IllegalArgumentException("inputs: must be a JSON object of input names to values, got " + request.inputs().getNodeType());
    }
    Play created = asUser(routing, user -> {
      Play play = new Play();
      play.getMetadata().setNamespace(namespace);
      if (isBlank(request.rerunOf())) {
        if (isBlank(request.workflow())) {
          throw new IllegalArgumentException("workflow: name the Workflow to run");
        }
        play.getSpec().setWorkflow(request.workflow().trim());
        play.getSpec().setVersion(blankToNull(request.version()));
      } else {
        Play original = user.resources(Play.class).inNamespace(namespace).withName(request.rerunOf().trim()).require();
        play.setSpec(rerunSpec(user, original));
        play.getMetadata().setAnnotations(Map.of(RERUN_OF, original.getMetadata().getName()));
        if (!isBlank(request.version())) {
          play.getSpec().setVersion(request.version().trim());
        }
      }
      if (request.inputs() != null && request.inputs().isObject()) {
        play.getSpec().setInputs((ObjectNode) request.inputs());
      }
      if (isBlank(request.name())) {
        play.getMetadata().setGenerateName(play.getSpec().getWorkflow() + "-");
      } else {
        play.getMetadata().setName(request.name().trim());
      }
      return user.resource(play).create();
    });
    return Response.status(Response.Status.CREATED).entity(ref(created)).build();
  }

  /** Asks the operator to stop the Play (spec.cancel: true), as kubectl patch would. */
  @POST
  @Path("namespaces/{namespace}/plays/{name}/cancel")
  public PlayRef cancel(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    return ref(asUser(routing, user -> user.resources(Play.class).inNamespace(namespace).withName(name)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"cancel\":true}}")));
  }

  @DELETE
  @Path("namespaces/{namespace}/plays/{name}")
  public PlayRef delete(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    List<StatusDetails> deleted = asUser(routing, user -> user.resources(Play.class).inNamespace(namespace).withName(name).delete());
    if (deleted.isEmpty()) {
      throw new WebApplicationException(Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
          .entity(new UiApi.ApiError("Play " + namespace + "/" + name + " not found")).build());
    }
    return new PlayRef(namespace, name);
  }

  /** The original's spec for a new run: the same version it ran (once resolved), never its cancel. */
  private static PlaySpec rerunSpec(KubernetesClient user, Play original) {
    var serialization = user.getKubernetesSerialization();
    PlaySpec spec = serialization.clone(original.getSpec());
    spec.setCancel(null);
    String ran = original.getStatus() == null ? null : original.getStatus().getWorkflowVersion();
    if (ran != null) {
      spec.setVersion(ran);
    }
    return spec;
  }

  private <T> T asUser(RoutingContext routing, Function<KubernetesClient, T> action) {
    return asUser(routing, NO_USER, action);
  }

  private <T> T asUser(RoutingContext routing, String noUser, Function<KubernetesClient, T> action) {
    String token = routing == null ? null : routing.get(UiAccessFilter.TOKEN_KEY);
    if (token == null) {
      throw new WebApplicationException(Response.status(Response.Status.FORBIDDEN).type(MediaType.APPLICATION_JSON)
          .entity(new UiApi.ApiError(noUser)).build());
    }
    try (KubernetesClient user = clients.as(token)) {
      return action.apply(user);
    }
  }

  /** The API server's refusal, passed on with its status code and message (RBAC's, an admission policy's, a schema's). */
  @ServerExceptionMapper
  public Response refused(KubernetesClientException e) {
    int code = e.getCode() >= 400 && e.getCode() < 600 ? e.getCode() : Response.Status.BAD_GATEWAY.getStatusCode();
    String message = e.getStatus() != null && !isBlank(e.getStatus().getMessage()) ? e.getStatus().getMessage()
        : "the Kubernetes API server could not be asked: " + e.getMessage();
    return Response.status(code).type(MediaType.APPLICATION_JSON).entity(new UiApi.ApiError(message)).build();
  }

  @ServerExceptionMapper
  public Response badRequest(IllegalArgumentException e) {
    return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON).entity(new UiApi.ApiError(e.getMessage())).build();
  }

  private static PlayRef ref(Play play) {
    return new PlayRef(play.getMetadata().getNamespace(), play.getMetadata().getName());
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  private static String blankToNull(String s) {
    return isBlank(s) ? null : s.trim();
  }
}
