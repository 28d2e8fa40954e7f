package dev.quiver.server.flight;

import io.grpc.MethodDescriptor;
import java.io.InputStream;

/** Serializes outgoing {@link FlightFrame}s for gRPC. The server never parses them, so it cannot. */
final class FlightFrameMarshaller implements MethodDescriptor.Marshaller<FlightFrame> {
  @Override
  public InputStream stream(FlightFrame frame) {
    return new FrameInputStream(frame);
  }

  @Override
  public FlightFrame parse(InputStream stream) {
    throw new UnsupportedOperationException("Quiver only sends FlightFrames; it never receives them");
  }
}
