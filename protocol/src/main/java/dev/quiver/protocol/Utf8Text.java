package dev.quiver.protocol;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Text the protocol receives as bytes (tickets, action bodies, ListFlights criteria). Decoding is
 * strict: bytes that are not UTF-8 are the client's error. A lenient decoder would turn them into
 * U+FFFD and answer about a name the client never sent (a describe of bytes FF FE was "dataset
 * '\uFFFD\uFFFD' not found"; found by the bad-input matrix).
 */
public final class Utf8Text {
  private Utf8Text() {}

  /**
   * @param what names the bytes in the error, e.g. {@code "ticket"}
   * @param hint appended to the error, e.g. {@code ": send a dataset name or a JSON ticket"}; may be empty
   * @throws ProtocolException if {@code bytes} is not valid UTF-8
   */
  public static String decode(byte[] bytes, String what, String hint) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ProtocolException(what + " is not valid UTF-8" + hint, e);
    }
  }
}
