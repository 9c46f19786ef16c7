package io.herologic.model;

/** Patterns the API server enforces on names that point at other objects. */
final class Names {
  /** A Kubernetes object name (RFC 1123 subdomain). */
  static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$";

  private Names() {}
}
