package io.herologic.model;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What `kubectl explain <kind>` prints for the kind itself and for its spec and status (the
 * generator only sees property descriptions, and spec and status are inherited properties).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface KindDescription {
  String value();

  String spec();

  String status();
}
