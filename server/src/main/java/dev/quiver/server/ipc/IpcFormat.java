package dev.quiver.server.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/** The two Arrow IPC layouts, told apart by their first bytes rather than by file name. */
public enum IpcFormat {
  /** Random-access "file" format ({@code .arrow}, Feather v2): magic, stream, footer, magic. */
  FILE,
  /** Streaming format ({@code .arrows}): a sequence of length-prefixed messages. */
  STREAM;

  static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
  static final int CONTINUATION = 0xFFFFFFFF;

  /** Reads the first bytes of {@code path} and says which format it is, if any. */
  public static Optional<IpcFormat> sniff(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      ByteBuffer head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      while (head.hasRemaining() && channel.read(head) >= 0) {
        // keep reading until 8 bytes or end of file
      }
      head.flip();
      return sniff(head);
    }
  }

  /** Classifies a file by up to its first 8 bytes. */
  public static Optional<IpcFormat> sniff(ByteBuffer head) {
    if (head.remaining() >= MAGIC.length) {
      boolean magic = true;
      for (int i = 0; i < MAGIC.length; i++) {
        magic &= head.get(head.position() + i) == MAGIC[i];
      }
      if (magic) {
        return Optional.of(FILE);
      }
    }
    // A stream starts with a schema message: the continuation marker, then a positive length.
    if (head.remaining() >= 8
        && head.order(ByteOrder.LITTLE_ENDIAN).getInt(head.position()) == CONTINUATION
        && head.getInt(head.position() + 4) > 0) {
      return Optional.of(STREAM);
    }
    return Optional.empty();
  }
}
