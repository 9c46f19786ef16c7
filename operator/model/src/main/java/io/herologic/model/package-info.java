/** The hero-logic API: the custom resource classes from which crds/ is generated. No operator logic lives here. */
package io.herologic.model;
