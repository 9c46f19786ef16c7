package io.herologic.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Loopback ports for the servers a test starts (the operator, test doubles). */
public final class LocalPorts {
  private LocalPorts() {}

  /** A port that was free a moment ago: the kernel's pick, so parallel test runs do not collide. */
  public static int free() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
