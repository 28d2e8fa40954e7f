package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.ipc.BodyPiece;
import dev.quiver.server.ipc.MappedFile;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written FlightData encoding must be exactly what protobuf would parse. */
class FrameInputStreamTest {
  @TempDir Path dir;

  @Test
  void encodingParsesAsFlightDataWithHeaderAndPiecedBody() throws Exception {
    byte[] content = new byte[4096];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31);
    }
    Path file = Files.write(dir.resolve("f"), content);
    MappedFile mapped = MappedFile.map(file);
    try {
      byte[] header = "pretend flatbuffer".getBytes();
      List<BodyPiece> body = List.of(BodyPiece.ofFile(100, 300), BodyPiece.zeros(5), BodyPiece.ofFile(1000, 203));
      FlightFrame frame = new FlightFrame(header, mapped, body, 508);

      byte[] viaRead = new FrameInputStream(frame).readAllBytes();
      ByteArrayOutputStream drained = new ByteArrayOutputStream();
      int written = new FrameInputStream(frame).drainTo(drained);

      assertThat(drained.toByteArray()).isEqualTo(viaRead);
      assertThat(written).isEqualTo(viaRead.length);
      Flight.FlightData parsed = Flight.FlightData.parseFrom(viaRead);
      assertThat(parsed.getDataHeader().toByteArray()).isEqualTo(header);
      byte[] expectedBody = new byte[508];
      System.arraycopy(content, 100, expectedBody, 0, 300);
      System.arraycopy(content, 1000, expectedBody, 305, 203);
      assertThat(parsed.getDataBody().toByteArray()).isEqualTo(expectedBody);
      assertThat(parsed.hasFlightDescriptor()).isFalse();
      assertThat(mapped.refCount()).as("copying never takes a reference").isEqualTo(1);
    } finally {
      mapped.release();
    }
  }

  @Test
  void aFrameWithItsBodyCopiedEncodesTheSameBytesAndOwnsTheCopy() throws Exception {
    byte[] content = new byte[2048];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 17);
    }
    MappedFile mapped = MappedFile.map(Files.write(dir.resolve("f"), content));
    try {
      FlightFrame frame = new FlightFrame("header".getBytes(), mapped,
          List.of(BodyPiece.ofFile(8, 100), BodyPiece.zeros(4), BodyPiece.ofFile(500, 60)), 164);
      FlightFrame copied = frame.withCopiedBody();
      try {
        assertThat(new FrameInputStream(copied).readAllBytes()).isEqualTo(new FrameInputStream(frame).readAllBytes());
        ByteArrayOutputStream drained = new ByteArrayOutputStream();
        new FrameInputStream(copied).drainTo(drained);
        assertThat(drained.toByteArray()).isEqualTo(new FrameInputStream(frame).readAllBytes());
        assertThat(copied.copiedBody().refCnt()).as("the frame's own reference").isEqualTo(1);
      } finally {
        copied.release();
      }
      assertThat(copied.copiedBody().refCnt()).isZero();
      assertThat(mapped.refCount()).as("a copy holds no reference to the mapping").isEqualTo(1);
    } finally {
      mapped.release();
    }
  }

  @Test
  void aHeaderOnlyFrameHasNoBodyField() throws Exception {
    byte[] header = new byte[300];
    Arrays.fill(header, (byte) 7);
    byte[] encoded = new FrameInputStream(FlightFrame.headerOnly(header)).readAllBytes();
    Flight.FlightData parsed = Flight.FlightData.parseFrom(encoded);
    assertThat(parsed.getDataHeader().toByteArray()).isEqualTo(header);
    assertThat(parsed.getDataBody().isEmpty()).isTrue();
  }
}
