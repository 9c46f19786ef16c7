package io.herologic.operator.play;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** The size of a value as compact UTF-8 JSON, counted as it is written, never kept. */
final class JsonSize {
  private static final ObjectMapper COMPACT = new ObjectMapper();

  private JsonSize() {}

  /** Bytes of {@code value} as compact JSON; call only on a value within the depth limit (serialising recurses). */
  static long of(Object value) {
    long[] count = {0};
    OutputStream counter = new OutputStream() {
      @Override
      public void write(int b) {
        count[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        count[0] += len;
      }
    };
    try {
      COMPACT.writeValue(counter, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return count[0];
  }
}
