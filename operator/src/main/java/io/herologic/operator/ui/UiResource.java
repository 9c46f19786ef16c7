package io.herologic.operator.ui;

/**
 * The kinds the UI shows, each guarded by its own permission: a person sees a kind in a namespace
 * when a SubjectAccessReview allows them {@code list} of it there (group herologic.io). List, not
 * get, because the UI lists and a list reveals everything a get would; and one verb per kind keeps
 * it to at most three reviews per person and namespace.
 */
enum UiResource {
  PLAYS("plays"),
  WORKFLOWS("workflows"),
  /** Also guards a version's source: the source is part of the WorkflowVersion. */
  WORKFLOW_VERSIONS("workflowversions");

  static final String GROUP = "herologic.io";
  static final String VERB = "list";

  final String plural;

  UiResource(String plural) {
    this.plural = plural;
  }
}
