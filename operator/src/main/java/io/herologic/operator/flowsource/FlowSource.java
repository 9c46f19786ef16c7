package io.herologic.operator.flowsource;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The exact bytes of a flow's source, with the digest that names them. */
public record FlowSource(byte[] bytes) {
  /** Sources above this are refused (SourceTooLarge): a ConfigMap holds 1 MiB, base64 adds a third. */
  public static final int MAX_BYTES = 512 * 1024;

  public String digest() {
    try {
      return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The name of the immutable, content-addressed ConfigMap that Pods of this source mount. */
  public String configMapName() {
    return "hlflow-" + digest().substring("sha256:".length(), "sha256:".length() + 20);
  }

  /** The source as text; Python source must be UTF-8. */
  public String text() throws CharacterCodingException {
    return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes)).toString();
  }

  /** Key of the source file in every flow ConfigMap, and its name in the Pod. */
  public static final String FILE_NAME = "flow.py";
}
