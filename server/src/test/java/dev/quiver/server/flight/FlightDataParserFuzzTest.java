package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.KnownLength;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import org.apache.arrow.flight.impl.Flight;

/**
 * DoPut's request marshaller reads every byte a client sends. Whatever they are, it yields a
 * {@code FlightData} or fails with INVALID_ARGUMENT, and where protobuf itself reads the same bytes,
 * the IPC header, body and app metadata it yields are protobuf's. The input arrives as gRPC hands
 * it over: a stream that knows its length.
 */
class FlightDataParserFuzzTest {
  private final FlightDataParser parser = new FlightDataParser();

  @FuzzTest
  void parse(byte[] message) {
    Flight.FlightData parsed;
    try {
      parsed = parser.parse(new GrpcMessageStream(message));
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      return;
    }
    Flight.FlightData expected;
    try {
      expected = Flight.FlightData.parseFrom(message);
    } catch (InvalidProtocolBufferException e) {
      return; // protobuf is stricter in places (e.g. a zero tag); nothing to compare
    }
    assertThat(parsed.getDataHeader()).isEqualTo(expected.getDataHeader());
    assertThat(parsed.getDataBody()).isEqualTo(expected.getDataBody());
    assertThat(parsed.getAppMetadata()).isEqualTo(expected.getAppMetadata());
  }

  /** Like gRPC's own message streams, one that reports how many bytes remain. */
  private static final class GrpcMessageStream extends ByteArrayInputStream implements KnownLength {
    GrpcMessageStream(byte[] bytes) {
      super(bytes);
    }
  }
}
