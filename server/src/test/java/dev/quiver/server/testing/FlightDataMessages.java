package dev.quiver.server.testing;

import com.google.protobuf.ByteString;
import org.apache.arrow.flight.impl.Flight;

/** Raw DoPut messages for tests that send what no Flight client would. */
public final class FlightDataMessages {
  private FlightDataMessages() {}

  /** A FlightData with whichever of descriptor, IPC header and body are not null. */
  public static Flight.FlightData data(Flight.FlightDescriptor descriptor, byte[] header, byte[] body) {
    Flight.FlightData.Builder builder = Flight.FlightData.newBuilder();
    if (descriptor != null) {
      builder.setFlightDescriptor(descriptor);
    }
    if (header != null) {
      builder.setDataHeader(ByteString.copyFrom(header));
    }
    if (body != null) {
      builder.setDataBody(ByteString.copyFrom(body));
    }
    return builder.build();
  }
}
