package dev.quiver.server.reliability;

import static dev.quiver.server.testing.FlightDataMessages.data;

import com.google.protobuf.ByteString;
import dev.quiver.server.ipc.ArrowFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;

/** DoPut messages built by hand: descriptors, and the IPC messages of an arrow-java stream as FlightData. */
final class UploadMessages {
  private final BufferAllocator allocator;

  UploadMessages(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  static Flight.FlightDescriptor path(String... segments) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH)
        .addAllPath(Arrays.asList(segments)).build();
  }

  static Flight.FlightDescriptor command(String text) {
    return command(text.getBytes(StandardCharsets.UTF_8));
  }

  static Flight.FlightDescriptor command(byte[] bytes) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD)
        .setCmd(ByteString.copyFrom(bytes)).build();
  }

  /** The IPC messages arrow-java writes for {@code spec}: schema, dictionary (if any), batches. */
  List<ArrowFiles.RawMessage> messages(ArrowFiles.Spec spec) throws IOException {
    return ArrowFiles.messages(ArrowFiles.bytes(allocator, spec));
  }

  /** {@code spec}'s messages as FlightData, the first carrying {@code descriptor}. */
  List<Flight.FlightData> upload(Flight.FlightDescriptor descriptor, ArrowFiles.Spec spec) throws IOException {
    return asFlightData(descriptor, messages(spec));
  }

  static List<Flight.FlightData> asFlightData(Flight.FlightDescriptor descriptor, List<ArrowFiles.RawMessage> messages) {
    List<Flight.FlightData> out = new ArrayList<>();
    for (ArrowFiles.RawMessage m : messages) {
      out.add(data(out.isEmpty() ? descriptor : null, m.header(), m.body()));
    }
    return out;
  }

  /** A small valid upload (one batch of 5 rows of the ArrowFiles table) to {@code descriptor}. */
  List<Flight.FlightData> small(Flight.FlightDescriptor descriptor) throws IOException {
    return upload(descriptor, ArrowFiles.Spec.stream(1, 5));
  }
}
