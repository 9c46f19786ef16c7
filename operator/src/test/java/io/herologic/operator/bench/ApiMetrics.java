package io.herologic.operator.bench;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counters read from a Prometheus text page: the API server's {@code /metrics} (requests by verb and
 * resource, requests by API Priority and Fairness flow schema, i.e. by client identity, and request
 * latency sums) or the operator's {@code /q/metrics}.
 */
final class ApiMetrics {
  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** apiserver_request_total by request key (see {@link #key}), all codes together. */
  final Map<String, Double> requests = new TreeMap<>();
  /** apiserver_request_duration_seconds_sum by request key. */
  final Map<String, Double> latencySum = new TreeMap<>();
  /** apiserver_flowcontrol_dispatched_requests_total by flow schema. */
  final Map<String, Double> flows = new TreeMap<>();
  /** apiserver_flowcontrol_request_wait_duration_seconds sum and count by flow schema: time spent queued by API Priority and Fairness. */
  final Map<String, Double> flowWaitSum = new TreeMap<>();
  final Map<String, Double> flowWaitCount = new TreeMap<>();
  /** Any other series asked for, by the spec it was asked with: "name" (all series summed) or "name{label=value}". */
  final Map<String, Double> named = new TreeMap<>();

  static ApiMetrics parse(String text, String... names) {
    ApiMetrics m = new ApiMetrics();
    for (String line : text.split("\n")) {
      if (line.isEmpty() || line.charAt(0) == '#') {
        continue;
      }
      Matcher matcher = LINE.matcher(line);
      if (!matcher.find()) {
        continue;
      }
      String name = matcher.group(1);
      double value;
      try {
        value = Double.parseDouble(matcher.group(4));
      } catch (NumberFormatException e) {
        continue;
      }
      Map<String, String> labels = labels(matcher.group(3));
      boolean resource = !labels.getOrDefault("resource", "").isEmpty(); // not /metrics, /healthz, discovery
      switch (name) {
        case "apiserver_request_total" -> {
          if (resource) {
            m.requests.merge(key(labels), value, Double::sum);
          }
        }
        case "apiserver_request_duration_seconds_sum" -> {
          if (resource) {
            m.latencySum.merge(key(labels), value, Double::sum);
          }
        }
        case "apiserver_flowcontrol_dispatched_requests_total" -> m.flows.merge(labels.getOrDefault("flow_schema", "?"), value, Double::sum);
        case "apiserver_flowcontrol_request_wait_duration_seconds_sum" -> m.flowWaitSum.merge(labels.getOrDefault("flow_schema", "?"), value, Double::sum);
        case "apiserver_flowcontrol_request_wait_duration_seconds_count" -> m.flowWaitCount.merge(labels.getOrDefault("flow_schema", "?"), value, Double::sum);
        default -> {
          for (String wanted : names) {
            int brace = wanted.indexOf('{');
            String wantedName = brace < 0 ? wanted : wanted.substring(0, brace);
            if (!wantedName.equals(name)) {
              continue;
            }
            if (brace >= 0) {
              String[] kv = wanted.substring(brace + 1, wanted.length() - 1).split("=", 2);
              if (!kv[1].equals(labels.get(kv[0]))) {
                continue;
              }
            }
            m.named.merge(wanted, value, Double::sum);
          }
        }
      }
    }
    return m;
  }

  /**
   * The cumulative buckets of histogram {@code name} (its {@code name_bucket} series, all label sets
   * summed) by upper bound, +Inf included.
   */
  static TreeMap<Double, Double> buckets(String text, String name) {
    TreeMap<Double, Double> buckets = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher matcher = LINE.matcher(line);
      if (line.startsWith("#") || !matcher.find() || !matcher.group(1).equals(name + "_bucket")) {
        continue;
      }
      String le = labels(matcher.group(3)).get("le");
      if (le != null) {
        buckets.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), Double.parseDouble(matcher.group(4)), Double::sum);
      }
    }
    return buckets;
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new TreeMap<>();
    if (text != null) {
      Matcher m = LABEL.matcher(text);
      while (m.find()) {
        labels.put(m.group(1), m.group(2));
      }
    }
    return labels;
  }

  private static String key(Map<String, String> labels) {
    return key(labels.getOrDefault("verb", "?"), labels.getOrDefault("group", ""), labels.getOrDefault("resource", ""),
        labels.getOrDefault("subresource", ""));
  }

  /** "VERB resource/subresource" with the API group in front of custom resources: "APPLY herologic.io/plays/status". */
  static String key(String verb, String group, String resource, String subresource) {
    return verb + " " + (group.isEmpty() ? "" : group + "/") + resource + (subresource.isEmpty() ? "" : "/" + subresource);
  }

  static boolean isWrite(String key) {
    return key.startsWith("POST ") || key.startsWith("PUT ") || key.startsWith("PATCH ") || key.startsWith("APPLY ")
        || key.startsWith("DELETE ") || key.startsWith("DELETECOLLECTION ");
  }

  /** after - before, per key, leaving out zeros. */
  static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Double> d = new TreeMap<>();
    after.forEach((k, v) -> {
      double diff = v - before.getOrDefault(k, 0.0);
      if (Math.abs(diff) > 1e-9) {
        d.put(k, diff);
      }
    });
    return d;
  }

  /** a - b, per key, leaving out zeros. */
  static Map<String, Double> minus(Map<String, Double> a, Map<String, Double> b) {
    Map<String, Double> d = new TreeMap<>(a);
    b.forEach((k, v) -> d.merge(k, -v, Double::sum));
    d.values().removeIf(v -> Math.abs(v) < 1e-9);
    return d;
  }

  static double sum(Map<String, Double> m) {
    return m.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  static double sumWrites(Map<String, Double> m) {
    return m.entrySet().stream().filter(e -> isWrite(e.getKey())).mapToDouble(Map.Entry::getValue).sum();
  }
}
