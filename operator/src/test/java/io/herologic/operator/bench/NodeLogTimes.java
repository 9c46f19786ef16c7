package io.herologic.operator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When the node logged each span's end: every flow Pod's log read once with the node's timestamps
 * (the CRI log format: the time the node agent read the line from the container). It splits span
 * end -> status into the part before anything but the node could see the line (the flow's process
 * and the node) and the part after (the log's way through the API server to the operator, the
 * operator, its status write).
 */
final class NodeLogTimes {
  private static final Pattern SPAN_END = Pattern.compile("\"type\"\\s*:\\s*\"span_end\"");
  private static final Pattern SPAN_ID = Pattern.compile("\"span_id\"\\s*:\\s*\"([^\"]+)\"");

  private NodeLogTimes() {}

  /** Epoch milliseconds at which the node logged each span_end, keyed "play/spanId"; Plays whose log cannot be read are left out. */
  static Map<String, Double> spanEnds(KubernetesClient client, String namespace, Map<String, String> podOfPlay) {
    Map<String, Double> logged = new HashMap<>();
    podOfPlay.forEach((play, pod) -> {
      String log;
      try {
        log = client.pods().inNamespace(namespace).withName(pod).usingTimestamps().getLog();
      } catch (RuntimeException unreadable) {
        return;
      }
      for (String line : log.split("\n")) {
        int space = line.indexOf(' ');
        if (space < 0 || !SPAN_END.matcher(line).find()) {
          continue;
        }
        Matcher id = SPAN_ID.matcher(line);
        if (id.find()) {
          Instant at = Instant.parse(line.substring(0, space));
          logged.putIfAbsent(play + "/" + id.group(1), at.getEpochSecond() * 1000.0 + at.getNano() / 1e6);
        }
      }
    });
    return logged;
  }
}
