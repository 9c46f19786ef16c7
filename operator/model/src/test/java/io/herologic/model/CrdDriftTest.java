package io.herologic.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * crds/ is committed so that users and the Helm chart can apply it without building; it must be
 * exactly what the build generates from this module. `make crds` refreshes it.
 */
class CrdDriftTest {
  private static final Path GENERATED = Path.of("target/crds");
  private static final Path COMMITTED = Path.of("../../crds");

  @Test
  void committedCrdsMatchTheModel() throws IOException {
    Map<String, String> generated = readCrds(GENERATED);
    Map<String, String> committed = readCrds(COMMITTED);
    assertEquals(4, generated.size(), "the build generates one CRD per kind: " + generated.keySet());
    assertEquals(generated.keySet(), committed.keySet(), "crds/ holds other files than the build generates; run `make crds`");
    generated.forEach(
        (name, yaml) -> assertEquals(yaml, committed.get(name), "crds/" + name + " drifted from the model; run `make crds` and commit"));
  }

  private static Map<String, String> readCrds(Path dir) throws IOException {
    Map<String, String> crds = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith("-v1.yml")).toList()) {
        crds.put(file.getFileName().toString(), Files.readString(file));
      }
    }
    return crds;
  }
}
