package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpcFormatTest {
  @TempDir Path dir;

  private static Optional<IpcFormat> sniff(byte... bytes) {
    return IpcFormat.sniff(ByteBuffer.wrap(bytes));
  }

  private static byte[] streamStart(int length) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(-1).putInt(length).array();
  }

  @Test
  void fileMagic() {
    assertThat(sniff("ARROW1".getBytes(StandardCharsets.US_ASCII))).contains(IpcFormat.FILE);
    assertThat(sniff("ARROW1\0\0".getBytes(StandardCharsets.US_ASCII))).contains(IpcFormat.FILE);
    assertThat(sniff("ARROW".getBytes(StandardCharsets.US_ASCII))).isEmpty();
    assertThat(sniff("ARROW2\0\0".getBytes(StandardCharsets.US_ASCII))).isEmpty();
    assertThat(sniff("arrow1\0\0".getBytes(StandardCharsets.US_ASCII))).isEmpty();
  }

  @Test
  void streamStartsWithContinuationAndPositiveLength() {
    assertThat(sniff(streamStart(200))).contains(IpcFormat.STREAM);
    assertThat(sniff(streamStart(1))).contains(IpcFormat.STREAM);
    assertThat(sniff(streamStart(Integer.MAX_VALUE))).contains(IpcFormat.STREAM);
    assertThat(sniff(streamStart(0))).as("end-of-stream marker only").isEmpty();
    assertThat(sniff(streamStart(-1))).isEmpty();
    assertThat(sniff(new byte[] {-1, -1, -1, -1, 8, 0, 0})).as("too short").isEmpty();
    // big-endian length 200 is a negative little-endian int
    assertThat(sniff(new byte[] {-1, -1, -1, -1, 0, 0, 0, (byte) 200})).isEmpty();
  }

  @Test
  void otherBytesAreNeither() {
    assertThat(sniff()).isEmpty();
    assertThat(sniff((byte) 'A')).isEmpty();
    assertThat(sniff("PAR1abcd".getBytes(StandardCharsets.US_ASCII))).isEmpty();
    assertThat(sniff(new byte[8])).isEmpty();
  }

  @Test
  void sniffingStartsAtTheBuffersPosition() {
    ByteBuffer buffer = ByteBuffer.wrap("xxARROW1".getBytes(StandardCharsets.US_ASCII));
    buffer.position(2);
    assertThat(IpcFormat.sniff(buffer)).contains(IpcFormat.FILE);
    assertThat(buffer.position()).isEqualTo(2);

    ByteBuffer stream = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(-1).putInt(64);
    stream.position(4);
    assertThat(IpcFormat.sniff(stream)).contains(IpcFormat.STREAM);
  }

  @Test
  void bigEndianBufferIsReadLittleEndian() {
    ByteBuffer buffer = ByteBuffer.wrap(streamStart(300)).order(ByteOrder.BIG_ENDIAN);
    assertThat(IpcFormat.sniff(buffer)).contains(IpcFormat.STREAM);
  }

  @Test
  void sniffsFiles() throws IOException {
    assertThat(IpcFormat.sniff(Files.write(dir.resolve("a"), "ARROW1\0\0rest".getBytes(StandardCharsets.US_ASCII))))
        .contains(IpcFormat.FILE);
    assertThat(IpcFormat.sniff(Files.write(dir.resolve("b"), streamStart(16)))).contains(IpcFormat.STREAM);
    assertThat(IpcFormat.sniff(Files.write(dir.resolve("c"), new byte[0]))).isEmpty();
    assertThat(IpcFormat.sniff(Files.write(dir.resolve("d"), "ARROW1".getBytes(StandardCharsets.US_ASCII))))
        .contains(IpcFormat.FILE);
    assertThat(IpcFormat.sniff(Files.write(dir.resolve("e"), "hello world".getBytes(StandardCharsets.US_ASCII))))
        .isEmpty();
  }
}
