package io.herologic.operator.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herologic.model.Play;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExportProgressTest {
  private static Play withMark(String value) {
    Play play = SpanMappingTest.play(null);
    if (value != null) {
      play.getMetadata().setAnnotations(Map.of(ExportProgress.ANNOTATION, value));
    }
    return play;
  }

  @Test
  void theMarkAnEarlierProcessLeftIsWhereExportResumes() {
    assertEquals(0, ExportProgress.exportedThroughLine(withMark(null)));
    assertEquals(1234, ExportProgress.exportedThroughLine(withMark("1234")));
  }

  @Test
  void aMarkThatIsNotALineNumberIsNotTrusted() {
    // Exporting again beats losing spans. (Whoever may edit the Play can move the mark, and so affect that Play's export only.)
    assertEquals(0, ExportProgress.exportedThroughLine(withMark("lots")));
    assertEquals(0, ExportProgress.exportedThroughLine(withMark("-5")));
    assertEquals(0, ExportProgress.exportedThroughLine(withMark("99999999999999999999999")));
  }
}
