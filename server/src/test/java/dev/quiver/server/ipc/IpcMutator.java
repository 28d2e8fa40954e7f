package dev.quiver.server.ipc;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.util.Arrays;

/**
 * Damages a real IPC file the way the fuzzer's input says: bytes overwritten, 32- and 64-bit fields
 * (flatbuffer offsets and lengths, body lengths, buffer offsets) set to boundary values or to sizes
 * near the file's own, truncation, and ranges copied or cut out. Byte-level mutation alone rarely
 * lands a meaningful value in an aligned field; this does it in one step.
 */
final class IpcMutator {
  private static final long[] BOUNDARY_VALUES = {
      0, 1, -1, 7, 8, 16, 0x7FFF, 0xFFFF, Integer.MAX_VALUE, 0x80000000L, 0xFFFFFFFFL, Long.MAX_VALUE, Long.MIN_VALUE};

  private IpcMutator() {}

  static byte[] mutate(byte[] base, FuzzedDataProvider data) {
    byte[] bytes = base.clone();
    int mutations = data.consumeInt(1, 6);
    for (int i = 0; i < mutations && bytes.length > 0; i++) {
      int at = data.consumeInt(0, bytes.length - 1);
      switch (data.consumeInt(0, 5)) {
        case 0 -> bytes[at] = data.consumeByte();
        case 1 -> putLittleEndian(bytes, at & ~3, Integer.BYTES, value(data, bytes.length));
        case 2 -> putLittleEndian(bytes, at & ~7, Long.BYTES, value(data, bytes.length));
        case 3 -> bytes = Arrays.copyOf(bytes, at);
        case 4 -> copyRange(bytes, at, data.consumeInt(0, bytes.length - 1), data.consumeInt(1, 64));
        default -> bytes = cut(bytes, at, data.consumeInt(1, bytes.length - at));
      }
    }
    return bytes;
  }

  private static long value(FuzzedDataProvider data, int fileLength) {
    return switch (data.consumeInt(0, 2)) {
      case 0 -> BOUNDARY_VALUES[data.consumeInt(0, BOUNDARY_VALUES.length - 1)];
      case 1 -> fileLength + data.consumeInt(-16, 16);
      default -> data.consumeLong();
    };
  }

  /** Writes the low {@code width} bytes of {@code value}, as far as the array reaches. */
  private static void putLittleEndian(byte[] bytes, int at, int width, long value) {
    for (int i = 0; i < width && at + i < bytes.length; i++) {
      bytes[at + i] = (byte) (value >>> (8 * i));
    }
  }

  private static void copyRange(byte[] bytes, int from, int to, int length) {
    int n = Math.min(length, Math.min(bytes.length - from, bytes.length - to));
    System.arraycopy(bytes, from, bytes, to, n);
  }

  private static byte[] cut(byte[] bytes, int at, int length) {
    byte[] out = new byte[bytes.length - length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(bytes, at + length, out, at, bytes.length - at - length);
    return out;
  }
}
