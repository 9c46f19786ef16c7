package io.herologic.operator.ui;

import io.herologic.model.Play;
import io.herologic.model.PlayPhase;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The filter of a plays list, from query parameters: namespace, workflow, phases (a
 * comma-separated list, any case), free text {@code q} (in the name, the workflow and the input
 * values, any case), a creation time range {@code since}/{@code until} (RFC 3339), and the page:
 * {@code offset} rows skipped, at most {@code limit} returned. Empty parameters mean "any".
 */
public record PlayQuery(String namespace, String workflow, Set<PlayPhase> phases, String text, Instant since, Instant until,
    int offset, int limit) {
  public static final int DEFAULT_LIMIT = 500;
  public static final int MAX_LIMIT = 5000;

  /** Parses the query parameters; a bad phase, time, offset or limit throws with a message naming it. */
  public static PlayQuery parse(String namespace, String workflow, String phase, String limit) {
    return parse(namespace, workflow, phase, null, null, null, null, limit);
  }

  public static PlayQuery parse(String namespace, String workflow, String phase, String text, String since, String until,
      String offset, String limit) {
    String q = blankToNull(text);
    return new PlayQuery(blankToNull(namespace), blankToNull(workflow), phases(phase), q == null ? null : q.toLowerCase(Locale.ROOT),
        time("since", since), time("until", until), number("offset", offset, 0, 0, Integer.MAX_VALUE), number("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT));
  }

  /** Whether the Play passes every filter but the text (cheap fields first). */
  public boolean matches(Play play) {
    if ((namespace != null && !namespace.equals(play.getMetadata().getNamespace()))
        || (workflow != null && !workflow.equals(play.getSpec().getWorkflow()))
        || (!phases.isEmpty() && !phases.contains(PlayViews.phaseOf(play)))) {
      return false;
    }
    if (since != null || until != null) {
      Instant created = PlayViews.created(play);
      if (created == null || (since != null && created.isBefore(since)) || (until != null && created.isAfter(until))) {
        return false;
      }
    }
    return text == null || contains(play.getMetadata().getName()) || contains(play.getSpec().getWorkflow())
        || (play.getSpec().getInputs() != null && contains(play.getSpec().getInputs().toString()));
  }

  private boolean contains(String value) {
    return value != null && value.toLowerCase(Locale.ROOT).contains(text);
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

  private static Instant time(String name, String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return Instant.parse(value.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + ": must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got \"" + value + "\"");
    }
  }

  private static int number(String name, String value, int fallback, int min, int max) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + ": must be a whole number from " + min + " to " + max + ", got \"" + value + "\"");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
