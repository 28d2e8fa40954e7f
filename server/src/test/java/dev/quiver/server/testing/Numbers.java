package dev.quiver.server.testing;

import com.google.protobuf.ByteString;
import dev.quiver.server.ipc.ArrowFiles;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;

/**
 * The numbers table of {@link TestTables#writeNumbers} (column {@code n} counts up from a first
 * value, {@code x = n / 2}), uploaded over raw DoPut (the plain gRPC stub: the test sees every
 * acknowledgement and controls every message) and read back with every value checked. What a
 * dataset holds is then told by its first value and row count alone.
 */
public final class Numbers {
  private Numbers() {}

  /** The DoPut messages uploading {@code batches} of {@code rows} rows counting from {@code first}. */
  public static List<Flight.FlightData> upload(BufferAllocator allocator, Flight.FlightDescriptor descriptor,
      int batches, int rows, long first) throws IOException {
    List<Flight.FlightData> messages = new ArrayList<>();
    for (ArrowFiles.RawMessage m : ArrowFiles.messages(TestTables.numbersStream(allocator, batches, rows, first))) {
      Flight.FlightData.Builder data = Flight.FlightData.newBuilder()
          .setDataHeader(ByteString.copyFrom(m.header())).setDataBody(ByteString.copyFrom(m.body()));
      if (messages.isEmpty()) {
        data.setFlightDescriptor(descriptor);
      }
      messages.add(data.build());
    }
    return messages;
  }

  /** A path descriptor: create {@code dataset}. */
  public static Flight.FlightDescriptor create(String dataset) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH)
        .addPath(dataset).build();
  }

  /** A command descriptor: append to {@code dataset}. */
  public static Flight.FlightDescriptor append(String dataset) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD)
        .setCmd(ByteString.copyFromUtf8("{\"dataset\": \"" + dataset + "\", \"mode\": \"append\"}")).build();
  }

  /** Sends every message, half-closes, and waits for the server's answer. */
  public static PutCollector.Outcome put(Channel channel, List<Flight.FlightData> messages) throws Exception {
    PutCollector answer = new PutCollector();
    StreamObserver<Flight.FlightData> requests = FlightServiceGrpc.newStub(channel).doPut(answer);
    messages.forEach(requests::onNext);
    requests.onCompleted();
    return answer.await();
  }

  /** Whether the upload got its final acknowledgement: published and durable. */
  public static boolean durable(PutCollector.Outcome outcome) {
    return outcome.status().isOk() && !outcome.acks().isEmpty()
        && outcome.acks().get(outcome.acks().size() - 1).contains("\"durable\":true");
  }

  /** Reads {@code dataset} to its end, checking that {@code n} counts up from {@code first}; returns its rows. */
  public static long read(FlightClient client, String dataset, long first) throws Exception {
    try (FlightStream stream = client.getStream(new Ticket(dataset.getBytes(StandardCharsets.UTF_8)))) {
      return check(stream, first, dataset);
    }
  }

  /** Reads {@code stream} to its end, checking that {@code n} counts up from {@code first}; returns the rows read. */
  public static long check(FlightStream stream, long first, String dataset) {
    long next = first;
    while (stream.next()) {
      BigIntVector n = (BigIntVector) stream.getRoot().getVector("n");
      for (int i = 0; i < n.getValueCount(); i++, next++) {
        if (n.get(i) != next) { // one assertion per value would cost seconds over millions of rows
          throw new AssertionError(dataset + ": row " + (next - first) + " holds " + n.get(i) + ", not " + next);
        }
      }
    }
    return next - first;
  }
}
