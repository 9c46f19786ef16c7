package io.herologic.operator.ui;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewSpecBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jboss.logging.Logger;

/**
 * What a viewer may read, asked of the API server with SubjectAccessReviews for exactly the
 * user, uid, groups and extra its TokenReview returned, so RBAC (or whatever authorizer the
 * cluster runs) decides, not the operator. Answers are kept briefly per viewer, namespace and kind.
 */
@ApplicationScoped
public class NamespaceAccess {
  private static final Logger LOG = Logger.getLogger(NamespaceAccess.class);
  /** At most this many reviews not answered from the cache, per list request. */
  static final int MAX_REVIEWS_PER_REQUEST = 64;
  static final int MAX_CACHED_ANSWERS = 10_000;
  /** The non-resource URL a Prometheus must be allowed to get, as kube-rbac-proxy and the kubelet ask. */
  static final String METRICS_PATH = "/metrics";
  /** A review without a namespace asks about every namespace at once. */
  private static final String EVERY_NAMESPACE = "";

  private record Question(Viewer viewer, String namespace, String resource) {}

  private final KubernetesClient client;
  private final ExpiringCache<Question, Boolean> answers;

  public NamespaceAccess(KubernetesClient client, UiAuthConfig config) {
    this.client = client;
    this.answers = new ExpiringCache<>(MAX_CACHED_ANSWERS, Duration.ofSeconds(config.reviewCacheSeconds()), Clock.systemUTC());
  }

  /** Whether the viewer may read {@code resource} in {@code namespace}: one review, or none when cached. */
  public boolean mayRead(Viewer viewer, String namespace, UiResource resource) {
    return viewer.unrestricted() || allowed(new Question(viewer, namespace, resource.plural));
  }

  /**
   * The namespaces among {@code namespaces} where the viewer may read {@code resource}. One review
   * for every namespace at once answers for a cluster-wide reader; otherwise one per namespace,
   * at most {@link #MAX_REVIEWS_PER_REQUEST} uncached ones per call: namespaces past that are left
   * out of this answer and reviewed by the next calls (the cache keeps what was answered).
   */
  public Set<String> readableNamespaces(Viewer viewer, Collection<String> namespaces, UiResource resource) {
    if (viewer.unrestricted() || allowed(new Question(viewer, EVERY_NAMESPACE, resource.plural))) {
      return Set.copyOf(namespaces);
    }
    Set<String> readable = new HashSet<>();
    int reviews = 0;
    int skipped = 0;
    for (String namespace : new TreeSet<>(namespaces)) {
      Question question = new Question(viewer, namespace, resource.plural);
      Optional<Boolean> cached = answers.get(question);
      if (cached.isEmpty() && reviews >= MAX_REVIEWS_PER_REQUEST) {
        skipped++;
        continue;
      }
      if (cached.isEmpty()) {
        reviews++;
      }
      if (cached.orElseGet(() -> allowed(question))) {
        readable.add(namespace);
      }
    }
    if (skipped > 0) {
      LOG.debugf("%s: %d namespaces left for later requests (at most %d reviews per request)", viewer.username(), skipped, MAX_REVIEWS_PER_REQUEST);
    }
    return readable;
  }

  /** Whether the viewer may {@code get} the non-resource URL /metrics. */
  public boolean mayReadMetrics(Viewer viewer) {
    return viewer.unrestricted() || allowed(new Question(viewer, null, METRICS_PATH));
  }

  private boolean allowed(Question question) {
    Optional<Boolean> cached = answers.get(question);
    if (cached.isPresent()) {
      return cached.get();
    }
    Viewer viewer = question.viewer();
    SubjectAccessReviewSpecBuilder spec = new SubjectAccessReviewSpecBuilder()
        .withUser(viewer.username()).withUid(viewer.uid()).withGroups(viewer.groups()).withExtra(viewer.extra());
    if (question.namespace() == null) {
      spec.withNewNonResourceAttributes().withPath(question.resource()).withVerb("get").endNonResourceAttributes();
    } else {
      spec.withNewResourceAttributes().withGroup(UiResource.GROUP).withResource(question.resource()).withVerb(UiResource.VERB)
          .withNamespace(question.namespace()).endResourceAttributes();
    }
    SubjectAccessReview review = client.authorization().v1().subjectAccessReview()
        .create(new SubjectAccessReviewBuilder().withSpec(spec.build()).build());
    boolean allowed = review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
    answers.put(question, allowed);
    return allowed;
  }
}
