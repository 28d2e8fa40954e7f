package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.apache.arrow.flight.impl.Flight;
import org.junit.jupiter.api.Test;

/** The DoPut parser must read exactly what protobuf would, with bodies in its reused direct buffer. */
class FlightDataParserTest {
  private final FlightDataParser parser = new FlightDataParser();

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void parsesEveryFieldLikeProtobuf() {
    Flight.FlightData message = Flight.FlightData.newBuilder()
        .setFlightDescriptor(Flight.FlightDescriptor.newBuilder()
            .setType(Flight.FlightDescriptor.DescriptorType.PATH).addPath("sales").addPath("2024"))
        .setDataHeader(ByteString.copyFrom(bytes(300, 1)))
        .setAppMetadata(ByteString.copyFrom(bytes(20, 2)))
        .setDataBody(ByteString.copyFrom(bytes(3 << 20, 3)))
        .build();
    Flight.FlightData parsed = parser.parse(new ByteArrayInputStream(message.toByteArray()));
    assertThat(parsed).isEqualTo(message);
    assertThat(parsed.getDataBody().asReadOnlyByteBuffer().isDirect()).isTrue();
  }

  @Test
  void theBodyBufferIsReusedForTheNextMessageOnTheSameThread() {
    byte[] first = bytes(4096, 4);
    byte[] second = bytes(4096, 5);
    ByteString a = parser.parse(new ByteArrayInputStream(body(first))).getDataBody();
    assertThat(a.toByteArray()).isEqualTo(first);
    ByteString b = parser.parse(new ByteArrayInputStream(body(second))).getDataBody();
    assertThat(b.toByteArray()).isEqualTo(second);
    // The contract UploadSession relies on: a body is only valid until the next message is parsed.
    assertThat(a.toByteArray()).isEqualTo(second);
  }

  private static byte[] body(byte[] body) {
    return Flight.FlightData.newBuilder().setDataBody(ByteString.copyFrom(body)).build().toByteArray();
  }

  @Test
  void unknownFieldsOfEveryWireTypeAreSkipped() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream coded = CodedOutputStream.newInstance(out);
    coded.writeUInt64(50, 123456789L);
    coded.writeFixed64(51, 7L);
    coded.writeFixed32(52, 9);
    coded.writeByteArray(53, new byte[] {1, 2, 3});
    coded.writeByteArray(Flight.FlightData.DATA_HEADER_FIELD_NUMBER, new byte[] {4, 5});
    coded.flush();
    Flight.FlightData parsed = parser.parse(new ByteArrayInputStream(out.toByteArray()));
    assertThat(parsed.getDataHeader().toByteArray()).containsExactly(4, 5);
  }

  @Test
  void aBodyLongerThanTheMessageIsRefusedBeforeAllocatingIt() {
    // Field 1000 (data_body), then a length of 2^31 - 1 and no body: what a hostile client can send.
    byte[] claim = {(byte) 0xC2, 0x3E, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07, 1, 2, 3};
    // gRPC's own message streams know their length: refused at once.
    assertThatThrownBy(() -> parser.parse(new KnownLengthStream(claim)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getDescription()).contains("declared"));
    // A decompressed message does not: read in steps, it ends early without reserving 2 GiB.
    assertThatThrownBy(() -> parser.parse(new ByteArrayInputStream(claim)))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  private static final class KnownLengthStream extends ByteArrayInputStream implements io.grpc.KnownLength {
    KnownLengthStream(byte[] bytes) {
      super(bytes);
    }
  }

  @Test
  void truncatedMessagesAreInvalidArguments() {
    byte[] whole = Flight.FlightData.newBuilder()
        .setDataHeader(ByteString.copyFrom(bytes(100, 6)))
        .setDataBody(ByteString.copyFrom(bytes(1000, 7)))
        .build().toByteArray();
    // Cuts inside a tag, a length, the header and the body (102 would end cleanly after the header).
    for (int cut : new int[] {1, 50, 103, 104, 106, whole.length - 1}) {
      byte[] truncated = Arrays.copyOf(whole, cut);
      assertThatThrownBy(() -> parser.parse(new ByteArrayInputStream(truncated)))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }
  }
}
