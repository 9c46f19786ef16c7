package io.herologic.operator.ui;

import io.herologic.model.Play;
import io.herologic.model.Workflow;
import io.herologic.model.WorkflowVersion;
import io.herologic.operator.ui.PlayViews.PlayDetail;
import io.herologic.operator.ui.PlayViews.PlayList;
import io.herologic.operator.ui.WorkflowViews.VersionView;
import io.herologic.operator.ui.WorkflowViews.WorkflowView;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The read-only JSON API behind the web UI (documented in META-INF/resources/API.md). Every
 * answer comes from the operator's informer caches; there is nothing here that writes.
 */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
public class UiApi {
  static final String PYTHON = "text/x-python; charset=utf-8";

  private final UiCaches caches;
  private final FlowSources sources;

  public UiApi(UiCaches caches, FlowSources sources) {
    this.caches = caches;
    this.sources = sources;
  }

  /** An error as the API reports it. */
  public record ApiError(String error) {}

  @GET
  @Path("plays")
  public PlayList plays(@QueryParam("namespace") String namespace, @QueryParam("workflow") String workflow,
      @QueryParam("phase") String phase, @QueryParam("limit") String limit) {
    PlayQuery query = PlayQuery.parse(namespace, workflow, phase, limit);
    return PlayViews.list(caches.plays(null), query);
  }

  @GET
  @Path("namespaces/{namespace}/plays")
  public PlayList playsIn(@PathParam("namespace") String namespace, @QueryParam("workflow") String workflow,
      @QueryParam("phase") String phase, @QueryParam("limit") String limit) {
    return plays(namespace, workflow, phase, limit);
  }

  /** One Play; answers 304 to a conditional request when it has not changed, so polling is cheap. */
  @GET
  @Path("namespaces/{namespace}/plays/{name}")
  public Response play(@PathParam("namespace") String namespace, @PathParam("name") String name, @jakarta.ws.rs.core.Context Request request) {
    Play play = caches.play(namespace, name).orElseThrow(() -> notFound("Play " + namespace + "/" + name + " not found"));
    EntityTag tag = new EntityTag(PlayViews.etag(play));
    CacheControl revalidate = new CacheControl();
    revalidate.setNoCache(true);
    Response.ResponseBuilder unchanged = request.evaluatePreconditions(tag);
    if (unchanged != null) {
      return unchanged.cacheControl(revalidate).tag(tag).build();
    }
    PlayDetail detail = PlayViews.detail(play);
    return Response.ok(detail).tag(tag).cacheControl(revalidate).build();
  }

  @GET
  @Path("workflows")
  public List<WorkflowView> workflows(@QueryParam("namespace") String namespace) {
    String ns = namespace == null || namespace.isBlank() ? null : namespace.trim();
    return WorkflowViews.list(caches.workflows(ns), caches.versions(ns));
  }

  @GET
  @Path("namespaces/{namespace}/workflows")
  public List<WorkflowView> workflowsIn(@PathParam("namespace") String namespace) {
    return workflows(namespace);
  }

  @GET
  @Path("namespaces/{namespace}/workflows/{name}")
  public WorkflowView workflow(@PathParam("namespace") String namespace, @PathParam("name") String name) {
    List<WorkflowVersion> versions = caches.versions(namespace).stream().filter(v -> name.equals(v.getSpec().getWorkflow())).toList();
    Workflow workflow = caches.workflow(namespace, name).orElse(null);
    if (workflow == null && versions.isEmpty()) {
      throw notFound("Workflow " + namespace + "/" + name + " not found");
    }
    return workflow == null ? WorkflowViews.orphan(namespace, name, versions) : WorkflowViews.view(workflow, versions);
  }

  @GET
  @Path("namespaces/{namespace}/workflowversions/{name}")
  public VersionView version(@PathParam("namespace") String namespace, @PathParam("name") String name) {
    WorkflowVersion version = findVersion(namespace, name);
    String current = caches.workflow(namespace, version.getSpec().getWorkflow()).map(w -> w.getSpec().getCurrentVersion()).orElse(null);
    return WorkflowViews.version(version, current);
  }

  /** The exact Python source of a version, as text; its ETag is the source's digest. */
  @GET
  @Path("namespaces/{namespace}/workflowversions/{name}/source")
  @Produces({PYTHON, MediaType.APPLICATION_JSON})
  public Response source(@PathParam("namespace") String namespace, @PathParam("name") String name) {
    WorkflowVersion version = findVersion(namespace, name);
    FlowSources.Result result = sources.source(version);
    if (result instanceof FlowSources.Found found) {
      return Response.ok(found.text(), PYTHON).tag(new EntityTag(found.digest())).header("X-Herologic-Digest", found.digest()).build();
    }
    return Response.status(Response.Status.NOT_FOUND).type(MediaType.APPLICATION_JSON)
        .entity(new ApiError(((FlowSources.Unavailable) result).reason())).build();
  }

  private WorkflowVersion findVersion(String namespace, String name) {
    return caches.version(namespace, name).orElseThrow(() -> notFound("WorkflowVersion " + namespace + "/" + name + " not found"));
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
