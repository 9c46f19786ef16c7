package io.herologic.operator.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * The digest of a ConfigMap's content exactly as stored: every {@code data} and {@code binaryData}
 * entry, with its key and whether it is text or bytes. Two ConfigMaps have the same digest exactly
 * when a Pod mounting either sees the same files with the same bytes, so comparing the digest of
 * an object found in the cluster with the digest of the one the operator would publish is the
 * whole of "is this what we published".
 */
public final class ContentDigest {
  private static final byte TEXT = 't';
  private static final byte BYTES = 'b';
  /** binaryData that is not base64 cannot come from the operator; it gets its own tag so it never matches. */
  private static final byte NOT_BASE64 = 'x';

  private ContentDigest() {}

  /** {@code sha256:<hex>} over the entries in key order, each entry length-prefixed so no two layouts collide. */
  public static String of(ConfigMap configMap) {
    MessageDigest sha = sha256();
    new TreeMap<>(orEmpty(configMap.getData())).forEach((key, value) -> entry(sha, TEXT, key, value.getBytes(StandardCharsets.UTF_8)));
    new TreeMap<>(orEmpty(configMap.getBinaryData())).forEach((key, value) -> {
      try {
        entry(sha, BYTES, key, Base64.getDecoder().decode(value));
      } catch (IllegalArgumentException e) {
        entry(sha, NOT_BASE64, key, value.getBytes(StandardCharsets.UTF_8));
      }
    });
    return "sha256:" + java.util.HexFormat.of().formatHex(sha.digest());
  }

  private static void entry(MessageDigest sha, byte kind, String key, byte[] value) {
    byte[] name = key.getBytes(StandardCharsets.UTF_8);
    sha.update(kind);
    sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(name.length).array());
    sha.update(name);
    sha.update(ByteBuffer.allocate(Integer.BYTES).putInt(value.length).array());
    sha.update(value);
  }

  private static Map<String, String> orEmpty(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
