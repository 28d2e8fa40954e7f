package dev.quiver.server.reliability;

import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.TestTables;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Broken files for the matrix, each a dataset {@code broken/<name>}: what a disk, a crashed writer
 * or another program could leave in the data directory. Each is described by {@link #DESCRIPTIONS}.
 */
final class CorruptFiles {
  /** Dataset name under {@code broken/} and what is wrong with it, in the order of the document. */
  static final Map<String, String> DESCRIPTIONS = new LinkedHashMap<>();

  static {
    DESCRIPTIONS.put("empty", "an empty file (0 bytes) named .arrow");
    DESCRIPTIONS.put("garbage", "4 KiB of random bytes named .arrow");
    DESCRIPTIONS.put("bad-magic", "an IPC file whose leading magic is ARROWX");
    DESCRIPTIONS.put("truncated-footer", "an IPC file cut 12 bytes short (trailing magic and footer length gone)");
    DESCRIPTIONS.put("footer-length", "an IPC file whose footer length says 2 GiB");
    DESCRIPTIONS.put("message-length", "an IPC stream whose first message length points past the end");
    DESCRIPTIONS.put("truncated-body", "an IPC stream cut in the middle of its last batch's body");
    DESCRIPTIONS.put("mixed", "a parts directory whose two parts have different schemas");
    DESCRIPTIONS.put("hollow", "a parts directory with no part files");
  }

  private CorruptFiles() {}

  static void writeAll(BufferAllocator allocator, Path dir) throws IOException {
    Files.createDirectories(dir);
    byte[] file = ArrowFiles.bytes(allocator, ArrowFiles.Spec.file(2, 10));
    byte[] stream = ArrowFiles.bytes(allocator, ArrowFiles.Spec.stream(2, 10));

    Files.write(dir.resolve("empty.arrow"), new byte[0]);
    byte[] garbage = new byte[4096];
    new Random(42).nextBytes(garbage);
    Files.write(dir.resolve("garbage.arrow"), garbage);

    byte[] badMagic = file.clone();
    System.arraycopy("ARROWX".getBytes(StandardCharsets.US_ASCII), 0, badMagic, 0, 6);
    Files.write(dir.resolve("bad-magic.arrow"), badMagic);

    Files.write(dir.resolve("truncated-footer.arrow"), Arrays.copyOf(file, file.length - 12));

    byte[] footerLength = file.clone();
    // The footer length is the int32 just before the trailing 6-byte magic.
    ByteBuffer.wrap(footerLength).order(ByteOrder.LITTLE_ENDIAN).putInt(file.length - 10, Integer.MAX_VALUE);
    Files.write(dir.resolve("footer-length.arrow"), footerLength);

    byte[] messageLength = stream.clone();
    // After the 0xFFFFFFFF continuation marker: the schema message's length.
    ByteBuffer.wrap(messageLength).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0x7FFF_FFF0);
    Files.write(dir.resolve("message-length.arrows"), messageLength);

    // Without the 8-byte end-of-stream marker and 16 bytes of the last body.
    Files.write(dir.resolve("truncated-body.arrows"), Arrays.copyOf(stream, stream.length - 8 - 16));

    Path mixed = Files.createDirectories(dir.resolve("mixed.parts"));
    Files.write(mixed.resolve("part-000000.arrow"), file);
    TestTables.writeNumbers(allocator, mixed.resolve("part-000001.arrow"), 1, 10);

    Files.createDirectories(dir.resolve("hollow.parts"));
  }
}
