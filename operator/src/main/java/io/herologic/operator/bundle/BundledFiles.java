package io.herologic.operator.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Files the build copies into the operator from flows/ (the Python SDK, the built-in flows), read
 * back from the classpath whether it is a directory (tests, dev) or a jar (the packaged operator).
 */
public final class BundledFiles {
  private BundledFiles() {}

  /** File name → bytes for every {@code *.py} directly under {@code folder} (such as "herologic/sdk"). */
  public static Map<String, byte[]> python(String folder) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    URL anchor = loader.getResource(folder);
    if (anchor == null) {
      throw new IllegalStateException("the operator was built without " + folder + " (flows/ is copied in by the Maven build)");
    }
    Map<String, byte[]> files = new TreeMap<>();
    try {
      if ("jar".equals(anchor.getProtocol())) {
        var connection = (JarURLConnection) anchor.openConnection();
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
          String prefix = folder + "/";
          var entries = jar.stream().filter(e -> e.getName().startsWith(prefix) && e.getName().endsWith(".py")
              && e.getName().indexOf('/', prefix.length()) < 0).toList();
          for (var entry : entries) {
            try (InputStream in = jar.getInputStream(entry)) {
              files.put(entry.getName().substring(prefix.length()), in.readAllBytes());
            }
          }
        }
      } else {
        try (Stream<Path> paths = Files.list(Path.of(anchor.toURI()))) {
          for (Path p : paths.filter(p -> p.toString().endsWith(".py")).toList()) {
            files.put(p.getFileName().toString(), Files.readAllBytes(p));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    return files;
  }
}
