package io.herologic.operator.bench;

import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts every request the benchmark's own client sends, keyed like {@link ApiMetrics#key} (the
 * API server's verb names: LIST and WATCH for collection GETs, APPLY for server-side apply), so
 * that they can be subtracted from the API server's counters.
 */
final class OwnRequests implements Interceptor {
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    String key = key(request.method(), request.uri().getRawPath(), request.uri().getRawQuery(), request.header("Content-Type"));
    if (key != null) {
      counts.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
  }

  Map<String, Double> snapshot() {
    Map<String, Double> m = new TreeMap<>();
    counts.forEach((k, v) -> m.put(k, (double) v.sum()));
    return m;
  }

  /** The request's key, or null for a non-resource URL. */
  static String key(String method, String path, String query, String contentType) {
    String[] all = path.replaceAll("^/+|/+$", "").split("/");
    int start;
    String group;
    if (all.length >= 2 && all[0].equals("api")) {
      start = 2;
      group = "";
    } else if (all.length >= 3 && all[0].equals("apis")) {
      start = 3;
      group = all[1];
    } else {
      return null; // non-resource URL (/metrics, discovery): left out here and in ApiMetrics
    }
    String[] s = java.util.Arrays.copyOfRange(all, start, all.length);
    String resource = "";
    String name = null;
    String sub = "";
    if (s.length >= 3 && s[0].equals("namespaces")) {
      resource = s[2];
      name = s.length > 3 ? s[3] : null;
      sub = s.length > 4 ? s[4] : "";
    } else if (s.length >= 1) {
      resource = s[0];
      name = s.length > 1 ? s[1] : null;
      sub = s.length > 2 ? s[2] : "";
    }
    boolean watch = query != null && query.matches("(^|.*&)watch=(true|1)(&.*|$)");
    String verb = switch (method) {
      case "GET" -> watch ? "WATCH" : name == null ? "LIST" : "GET";
      case "PATCH" -> contentType != null && contentType.startsWith("application/apply-patch") ? "APPLY" : "PATCH";
      case "DELETE" -> name == null ? "DELETECOLLECTION" : "DELETE";
      default -> method;
    };
    return ApiMetrics.key(verb, group, resource, sub);
  }
}
