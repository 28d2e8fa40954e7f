package dev.quiver.server.telemetry;

import com.google.protobuf.ByteString;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.PutCollector;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * Flight calls over the plain gRPC stubs, counting exactly what went over the wire in the terms the
 * server's metrics use: IPC message header bytes plus body bytes, record batches and their rows.
 */
final class RawFlight implements AutoCloseable {
  /** What one DoGet or DoPut moved. */
  record Moved(long bytes, long batches, long rows) {}

  private final ManagedChannel channel;

  RawFlight(int port) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).build();
  }

  /** Reads a whole DoGet stream and counts what came. */
  Moved doGet(String ticket) {
    Iterator<Flight.FlightData> stream = FlightServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .doGet(Flight.Ticket.newBuilder().setTicket(ByteString.copyFromUtf8(ticket)).build());
    List<Flight.FlightData> messages = new ArrayList<>();
    stream.forEachRemaining(messages::add);
    return count(messages);
  }

  /** Uploads the messages of an IPC stream under {@code path}; returns the call's status and what was sent. */
  Outcome doPut(byte[] ipcStream, String... path) throws Exception {
    List<Flight.FlightData> messages = new ArrayList<>();
    for (ArrowFiles.RawMessage m : ArrowFiles.messages(ipcStream)) {
      Flight.FlightData.Builder data = Flight.FlightData.newBuilder()
          .setDataHeader(ByteString.copyFrom(m.header())).setDataBody(ByteString.copyFrom(m.body()));
      if (messages.isEmpty()) {
        data.setFlightDescriptor(Flight.FlightDescriptor.newBuilder()
            .setType(Flight.FlightDescriptor.DescriptorType.PATH).addAllPath(Arrays.asList(path)));
      }
      messages.add(data.build());
    }
    PutCollector done = new PutCollector();
    StreamObserver<Flight.FlightData> requests = FlightServiceGrpc.newStub(channel).doPut(done);
    messages.forEach(requests::onNext);
    requests.onCompleted();
    return new Outcome(done.await().status(), count(messages));
  }

  record Outcome(Status status, Moved moved) {}

  /** Runs a DoAction and returns the bodies of its results as text. */
  List<String> doAction(String type, String body) {
    List<String> results = new ArrayList<>();
    FlightServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .doAction(Flight.Action.newBuilder().setType(type).setBody(ByteString.copyFromUtf8(body)).build())
        .forEachRemaining(r -> results.add(r.getBody().toString(StandardCharsets.UTF_8)));
    return results;
  }

  /** What {@code messages} carry: header plus body bytes of each IPC message, record batches and rows. */
  static Moved count(List<Flight.FlightData> messages) {
    long bytes = 0;
    long batches = 0;
    long rows = 0;
    for (Flight.FlightData data : messages) {
      if (data.getDataHeader().isEmpty()) {
        continue;
      }
      bytes += data.getDataHeader().size() + data.getDataBody().size();
      Message message = Message.getRootAsMessage(data.getDataHeader().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
      if (message.headerType() == MessageHeader.RecordBatch) {
        batches++;
        rows += ((RecordBatch) message.header(new RecordBatch())).length();
      }
    }
    return new Moved(bytes, batches, rows);
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(10, TimeUnit.SECONDS);
  }
}
