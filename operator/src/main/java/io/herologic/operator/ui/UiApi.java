package io.herologic.operator.ui;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.herologic.model.FlowInput;
import io.herologic.model.Play;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.config.OperatorConfig;
import io.herologic.operator.export.TraceLinks;
import io.herologic.operator.ui.PlayViews.PlayDetail;
import io.herologic.operator.ui.PlayViews.PlayList;
import io.herologic.operator.ui.WorkflowViews.VersionView;
import io.herologic.operator.ui.WorkflowViews.WorkflowView;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The read-only JSON API behind the web UI (documented in META-INF/resources/API.md). Every
 * answer comes from the operator's informer caches; there is nothing here that writes (what the
 * UI does as the signed-in person is {@link UiActions}).
 *
 * <p>{@link UiAccessFilter} has authenticated the viewer before any method here runs; each method
 * shows only the namespaces where the viewer may read the kind it shows ({@link NamespaceAccess}).
 * An object in a namespace the viewer may not read answers exactly as one that does not exist
 * (404), so its name does not leak.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class UiApi {
  static final String PYTHON = "text/x-python; charset=utf-8";

  private final UiCaches caches;
  private final FlowSources sources;
  private final NamespaceAccess access;
  private final UiAuthConfig config;
  private final String traceUrlTemplate;
  private final PriceTable prices;
  /** Costs of Plays by uid and resourceVersion: a finished Play never changes, so it is priced once. */
  private final ExpiringCache<String, PlayCosts.Cost> playCosts =
      new ExpiringCache<>(20_000, Duration.ofHours(1), Clock.systemUTC());

  public UiApi(UiCaches caches, FlowSources sources, NamespaceAccess access, UiAuthConfig config, OperatorConfig operator,
      PriceTable prices) {
    this.prices = prices;
    this.caches = caches;
    this.sources = sources;
    this.access = access;
    this.config = config;
    this.traceUrlTemplate = TraceLinks.template(operator).orElse(null);
  }

  /** An error as the API reports it. */
  public record ApiError(String error) {}

  /**
   * Who the API takes the caller to be: {@code authentication} is "token", or "none" in the local demo
   * mode; {@code traceUrlTemplate} (when tracing links are configured) links a Play's trace id to the tracing UI.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Session(String authentication, String user, List<String> groups, String traceUrlTemplate) {}

  @GET
  @Path("session")
  public Session session(@Context RoutingContext routing) {
    Viewer viewer = viewer(routing);
    return new Session(config.auth().name().toLowerCase(Locale.ROOT), viewer.username(),
        viewer.unrestricted() ? null : viewer.groups(), traceUrlTemplate);
  }

  @GET
  @Path("plays")
  public PlayList plays(@QueryParam("namespace") String namespace, @QueryParam("workflow") String workflow,
      @QueryParam("phase") String phase, @QueryParam("q") String text, @QueryParam("since") String since, @QueryParam("until") String until,
      @QueryParam("offset") String offset, @QueryParam("limit") String limit, @Context RoutingContext routing) {
    PlayQuery query = PlayQuery.parse(namespace, workflow, phase, text, since, until, offset, limit);
    return PlayViews.list(readable(viewer(routing), caches.plays(null), UiResource.PLAYS), query);
  }

  @GET
  @Path("namespaces/{namespace}/plays")
  public PlayList playsIn(@PathParam("namespace") String namespace, @QueryParam("workflow") String workflow,
      @QueryParam("phase") String phase, @QueryParam("q") String text, @QueryParam("since") String since, @QueryParam("until") String until,
      @QueryParam("offset") String offset, @QueryParam("limit") String limit, @Context RoutingContext routing) {
    return plays(namespace, workflow, phase, text, since, until, offset, limit, routing);
  }

  /** One Play; answers 304 to a conditional request when it has not changed, so polling is cheap. */
  @GET
  @Path("namespaces/{namespace}/plays/{name}")
  public Response play(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context Request request,
      @Context RoutingContext routing) {
    Viewer viewer = viewer(routing);
    // Access first: a finished Play is read from the API server, which a viewer who may not read
    // the namespace must not be able to cause. Both refusals look the same (404).
    if (!access.mayRead(viewer, namespace, UiResource.PLAYS)) {
      throw notFound("Play " + namespace + "/" + name + " not found");
    }
    Play play = caches.play(namespace, name).orElseThrow(() -> notFound("Play " + namespace + "/" + name + " not found"));
    PlayViews.Relatives relatives = relatives(viewer, play);
    // The children and the declared inputs change without the Play changing: they are part of the tag.
    EntityTag tag = new EntityTag(PlayViews.etag(play) + "." + Integer.toHexString(relatives.hashCode()));
    CacheControl revalidate = new CacheControl();
    revalidate.setNoCache(true);
    Response.ResponseBuilder unchanged = request.evaluatePreconditions(tag);
    if (unchanged != null) {
      return unchanged.cacheControl(revalidate).tag(tag).build();
    }
    PlayDetail detail = PlayViews.detail(play, prices, relatives);
    return Response.ok(detail).tag(tag).cacheControl(revalidate).build();
  }

  /** The Play's parent and children (same namespace) and the inputs its version declares, from the caches. */
  private PlayViews.Relatives relatives(Viewer viewer, Play play) {
    String namespace = play.getMetadata().getNamespace();
    PlayViews.PlayLink parent = PlayViews.parentName(play)
        .map(n -> caches.play(namespace, n).map(PlayViews.PlayLink::of).orElse(new PlayViews.PlayLink(namespace, n, null))).orElse(null);
    String version = PlayViews.versionOf(play);
    if (version == null) {
      version = caches.workflow(namespace, play.getSpec().getWorkflow()).map(w -> w.getSpec().getCurrentVersion()).orElse(null);
    }
    List<FlowInput> declared = null;
    if (version != null && access.mayRead(viewer, namespace, UiResource.WORKFLOW_VERSIONS)) {
      declared = caches.version(namespace, version).map(v -> v.getStatus() == null || v.getStatus().getInputs() == null
          ? List.<FlowInput>of() : v.getStatus().getInputs()).orElse(null);
    }
    return new PlayViews.Relatives(parent, PlayViews.childrenOf(play, caches.plays(namespace)), declared);
  }

  @GET
  @Path("workflows")
  public List<WorkflowView> workflows(@QueryParam("namespace") String namespace, @Context RoutingContext routing) {
    String ns = namespace == null || namespace.isBlank() ? null : namespace.trim();
    Viewer viewer = viewer(routing);
    return WorkflowViews.list(readable(viewer, caches.workflows(ns), UiResource.WORKFLOWS),
        readable(viewer, caches.versions(ns), UiResource.WORKFLOW_VERSIONS));
  }

  @GET
  @Path("namespaces/{namespace}/workflows")
  public List<WorkflowView> workflowsIn(@PathParam("namespace") String namespace, @Context RoutingContext routing) {
    return workflows(namespace, routing);
  }

  /** A Workflow needs list on workflows; its versions show where the viewer may also list workflowversions. */
  @GET
  @Path("namespaces/{namespace}/workflows/{name}")
  public WorkflowView workflow(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    Viewer viewer = viewer(routing);
    List<WorkflowVersion> versions = !access.mayRead(viewer, namespace, UiResource.WORKFLOW_VERSIONS) ? List.of()
        : caches.versions(namespace).stream().filter(v -> name.equals(v.getSpec().getWorkflow())).toList();
    Workflow workflow = caches.workflow(namespace, name).filter(w -> access.mayRead(viewer, namespace, UiResource.WORKFLOWS)).orElse(null);
    if (workflow == null && versions.isEmpty()) {
      throw notFound("Workflow " + namespace + "/" + name + " not found");
    }
    return workflow == null ? WorkflowViews.orphan(namespace, name, versions) : WorkflowViews.view(workflow, versions);
  }

  /**
   * Run statistics of a Workflow over its last {@code last} Plays. The cost needs each Play's spans:
   * read through {@link UiCaches#play} (which may ask the API server for a finished Play), and kept
   * per Play and resourceVersion, so a finished Play is priced once.
   */
  @GET
  @Path("namespaces/{namespace}/workflows/{name}/stats")
  public WorkflowStats.Stats workflowStats(@PathParam("namespace") String namespace, @PathParam("name") String name,
      @QueryParam("last") String last, @Context RoutingContext routing) {
    if (!access.mayRead(viewer(routing), namespace, UiResource.PLAYS)) {
      throw notFound("Workflow " + namespace + "/" + name + " not found");
    }
    return WorkflowStats.of(namespace, name, caches.plays(namespace), WorkflowStats.last(last), this::costOf);
  }

  private PlayCosts.Cost costOf(Play play) {
    String key = PlayViews.etag(play);
    return playCosts.get(key).orElseGet(() -> {
      Play full = caches.play(play.getMetadata().getNamespace(), play.getMetadata().getName()).orElse(play);
      PlayCosts.Cost cost = PlayCosts.of(full.getStatus() == null || full.getStatus().getSpans() == null ? List.of() : full.getStatus().getSpans(), prices);
      playCosts.put(key, cost);
      return cost;
    });
  }

  @GET
  @Path("namespaces/{namespace}/workflowversions/{name}")
  public VersionView version(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    WorkflowVersion version = findVersion(viewer(routing), namespace, name);
    String current = caches.workflow(namespace, version.getSpec().getWorkflow()).map(w -> w.getSpec().getCurrentVersion()).orElse(null);
    return WorkflowViews.version(version, current);
  }

  /** The exact Python source of a version, as text; its ETag is the source's digest. */
  @GET
  @Path("namespaces/{namespace}/workflowversions/{name}/source")
  @Produces({PYTHON, MediaType.APPLICATION_JSON})
  public Response source(@PathParam("namespace") String namespace, @PathParam("name") String name, @Context RoutingContext routing) {
    WorkflowVersion version = findVersion(viewer(routing), namespace, name);
    FlowSources.Result result = sources.source(version);
    if (result instanceof FlowSources.Found found) {
      return Response.ok(found.text(), PYTHON).tag(new EntityTag(found.digest())).header("X-Herologic-Digest", found.digest()).build();
    }
    return Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
        .entity(new ApiError(((FlowSources.Unavailable) result).reason())).build();
  }

  private WorkflowVersion findVersion(Viewer viewer, String namespace, String name) {
    return caches.version(namespace, name).filter(v -> access.mayRead(viewer, namespace, UiResource.WORKFLOW_VERSIONS))
        .orElseThrow(() -> notFound("WorkflowVersion " + namespace + "/" + name + " not found"));
  }

  /** The objects in namespaces where the viewer may read {@code resource}. */
  private <T extends HasMetadata> List<T> readable(Viewer viewer, List<T> objects, UiResource resource) {
    Set<String> namespaces = access.readableNamespaces(viewer,
        objects.stream().map(o -> o.getMetadata().getNamespace()).collect(Collectors.toSet()), resource);
    return objects.stream().filter(o -> namespaces.contains(o.getMetadata().getNamespace())).toList();
  }

  /**
   * The viewer {@link UiAccessFilter} authenticated. Its absence is a bug (a path the filter does
   * not cover): refuse rather than show anything.
   */
  private static Viewer viewer(RoutingContext routing) {
    Viewer viewer = routing == null ? null : routing.get(Viewer.CONTEXT_KEY);
    if (viewer == null) {
      throw new jakarta.ws.rs.WebApplicationException(Response.status(Response.Status.UNAUTHORIZED)
          .type(MediaType.APPLICATION_JSON).entity(new ApiError("authentication required")).build());
    }
    return viewer;
  }

  private static jakarta.ws.rs.WebApplicationException notFound(String message) {
    return new jakarta.ws.rs.WebApplicationException(Response.status(Response.Status.NOT_FOUND)
        .type(MediaType.APPLICATION_JSON).entity(new ApiError(message)).build());
  }

  @ServerExceptionMapper
  public Response badRequest(IllegalArgumentException e) {
    return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON).entity(new ApiError(e.getMessage())).build();
  }

  @ServerExceptionMapper
  public Response notReady(UiCaches.NotReady e) {
    return Response.status(Response.Status.SERVICE_UNAVAILABLE).header("Retry-After", "1").type(MediaType.APPLICATION_JSON)
        .entity(new ApiError(e.getMessage())).build();
  }
}
