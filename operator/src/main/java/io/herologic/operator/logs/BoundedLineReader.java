package io.herologic.operator.logs;

import java.io.IOException;
import java.io.InputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Splits a byte stream into UTF-8 lines, cutting any line longer than a limit, so a flow that
 * prints a gigabyte without a newline cannot exhaust the operator's memory.
 */
final class BoundedLineReader {
  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buffer = new byte[64 * 1024];
  private int pos;
  private int limit;

  BoundedLineReader(InputStream in, int maxLineBytes) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /** The next line without its newline, or null at the end of the stream. */
  String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    boolean cut = false;
    while (true) {
      if (pos == limit) {
        limit = in.read(buffer);
        pos = 0;
        if (limit <= 0) {
          limit = 0;
          return line.size() == 0 && !cut ? null : finish(line, cut);
        }
      }
      int start = pos;
      while (pos < limit && buffer[pos] != '\n') {
        pos++;
      }
      int room = maxLineBytes - line.size();
      int take = Math.min(pos - start, Math.max(room, 0));
      line.write(buffer, start, take);
      cut |= take < pos - start;
      if (pos < limit) {
        pos++; // the newline
        return finish(line, cut);
      }
    }
  }

  private static String finish(ByteArrayOutputStream line, boolean cut) {
    String text = line.toString(StandardCharsets.UTF_8);
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    return cut ? text + "… [line cut]" : text;
  }
}
