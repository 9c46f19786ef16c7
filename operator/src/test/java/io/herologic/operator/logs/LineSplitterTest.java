package io.herologic.operator.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
  private static void write(LineSplitter sink, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    sink.write(bytes, 0, bytes.length);
  }

  @Test
  void aResumedStreamSkipsTheCompleteLinesAlreadyAppliedAndRereadsAPartialOne() {
    List<String> first = new ArrayList<>();
    LineSplitter broken = new LineSplitter(1024, 0, first::add);
    write(broken, "one\ntwo\nthr");
    long resumeAt = broken.seal();
    write(broken, "ee\nfour\n"); // queued bytes a broken stream delivers after it said it closed
    assertEquals(List.of("one", "two"), first);
    assertEquals(2, resumeAt);

    List<String> second = new ArrayList<>();
    LineSplitter resumed = new LineSplitter(1024, resumeAt, second::add);
    write(resumed, "one\ntwo\nthree\nfour\n");
    assertEquals(List.of("three", "four"), second, "each line once, the partial one whole");
    assertEquals(4, resumed.seal());
  }

  @Test
  void longLinesAreCutAndALastLineWithoutNewlineCountsAtTheEnd() {
    List<String> lines = new ArrayList<>();
    LineSplitter sink = new LineSplitter(8, 0, lines::add);
    write(sink, "0123456789abcdef\r\nshort\ntail");
    sink.flushPartial();
    assertEquals(List.of("01234567… [line cut]", "short", "tail"), lines);
  }
}
