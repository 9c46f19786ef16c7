package io.herologic.operator.ui;

import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The filter of a plays list, from query parameters: namespace, workflow, phases (a
 * comma-separated list, any case) and how many rows at most. Empty parameters mean "any".
 */
public record PlayQuery(String namespace, String workflow, Set<PlayPhase> phases, int limit) {
  public static final int DEFAULT_LIMIT = 500;
  public static final int MAX_LIMIT = 5000;

  /** Parses the query parameters; a bad phase or limit throws with a message naming it. */
  public static PlayQuery parse(String namespace, String workflow, String phase, String limit) {
    return new PlayQuery(blankToNull(namespace), blankToNull(workflow), phases(phase), limit(limit));
  }

  public boolean matches(Play play) {
    return (namespace == null || namespace.equals(play.getMetadata().getNamespace()))
        && (workflow == null || workflow.equals(play.getSpec().getWorkflow()))
        && (phases.isEmpty() || phases.contains(PlayViews.phaseOf(play)));
  }

  private static Set<PlayPhase> phases(String value) {
    Set<PlayPhase> phases = EnumSet.noneOf(PlayPhase.class);
    if (value == null || value.isBlank()) {
      return phases;
    }
    for (String part : value.split(",")) {
      String wanted = part.trim();
      if (wanted.isEmpty()) {
        continue;
      }
      phases.add(Arrays.stream(PlayPhase.values()).filter(p -> p.name().equalsIgnoreCase(wanted)).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("phase: unknown phase \"" + wanted + "\"; one of "
              + Arrays.stream(PlayPhase.values()).map(Enum::name).collect(Collectors.joining(", ")))));
    }
    return phases;
  }

  private static int limit(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("limit: must be a whole number from 1 to " + MAX_LIMIT + ", got \"" + value + "\"");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
