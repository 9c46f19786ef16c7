package io.herologic.testing;

/** The namespace a test runs in: created before it, deleted after it. */
public record TestNamespace(String name) {
  @Override
  public String toString() {
    return name;
  }
}
