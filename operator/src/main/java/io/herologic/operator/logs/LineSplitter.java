package io.herologic.operator.logs;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The sink a log stream writes into: splits the bytes into UTF-8 lines and hands each complete line
 * on. A line longer than the limit is cut (the rest of it is skipped up to its newline), so a flow
 * that prints a gigabyte without a newline costs at most one limit's worth of memory.
 *
 * <p>{@code skip} complete lines are passed over first: a stream re-opened after a break reads the
 * log from its start, and the lines already handed on must not be handed on twice. A partial line
 * at a break is dropped and comes again, whole, in the next stream.
 */
final class LineSplitter extends OutputStream {
  private final int maxLineBytes;
  private final Consumer<String> lines;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private long toSkip;
  private long complete;
  private boolean cut;
  private boolean sealed;

  LineSplitter(int maxLineBytes, long skip, Consumer<String> lines) {
    this.maxLineBytes = maxLineBytes;
    this.toSkip = skip;
    this.lines = lines;
  }

  /**
   * Stops handing lines on and returns the complete lines seen, skipped ones included: where the
   * next stream resumes. A stream that broke may still deliver bytes it had queued after it says it
   * closed; sealing first means those are read again by the next stream, never applied twice.
   */
  synchronized long seal() {
    sealed = true;
    return complete;
  }

  /** At the end of a complete log: a last line without a newline is still a line. */
  synchronized void flushPartial() {
    if (line.size() > 0 || cut) {
      sealed = false;
      endLine();
      sealed = true;
    }
  }

  @Override
  public void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] bytes, int offset, int length) {
    if (sealed) {
      return;
    }
    int end = offset + length;
    int start = offset;
    for (int i = offset; i < end; i++) {
      if (bytes[i] == '\n') {
        append(bytes, start, i - start);
        endLine();
        start = i + 1;
      }
    }
    append(bytes, start, end - start);
  }

  private void append(byte[] bytes, int offset, int length) {
    if (toSkip > 0) {
      return;
    }
    int room = maxLineBytes - line.size();
    int take = Math.min(length, Math.max(room, 0));
    line.write(bytes, offset, take);
    cut |= take < length;
  }

  private void endLine() {
    complete++;
    if (toSkip > 0) {
      toSkip--;
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    lines.accept(cut ? text + "… [line cut]" : text);
    line.reset();
    cut = false;
  }
}
