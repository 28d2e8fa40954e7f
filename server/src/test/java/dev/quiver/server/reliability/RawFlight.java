package dev.quiver.server.reliability;

import com.google.protobuf.ByteString;
import dev.quiver.server.testing.PutCollector;
import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * Flight calls over the raw gRPC stubs, so any bytes can be sent (tickets, descriptors, FlightData
 * arrow-java would refuse to build) and the exact status code and description come back, whatever
 * the call. One instance is one connection, optionally sending an {@code authorization} header.
 */
final class RawFlight implements AutoCloseable {
  private static final long CALL_SECONDS = 30;
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;
  private final io.grpc.Channel calls;

  RawFlight(int port, String authorization) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(Integer.MAX_VALUE).build();
    if (authorization == null) {
      calls = channel;
    } else {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, authorization);
      calls = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    }
  }

  private FlightServiceGrpc.FlightServiceBlockingStub blocking() {
    return FlightServiceGrpc.newBlockingStub(calls).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
  }

  private FlightServiceGrpc.FlightServiceStub async() {
    return FlightServiceGrpc.newStub(calls).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
  }

  /** What a call ended with: its status code and description ({@code OK} with a summary if it succeeded). */
  record Outcome(Status.Code code, String message) {
    static Outcome of(Throwable error) {
      Status status = Status.fromThrowable(error);
      return new Outcome(status.getCode(), status.getDescription() == null ? "" : status.getDescription());
    }

    static Outcome ok(String summary) {
      return new Outcome(Status.Code.OK, summary);
    }
  }

  @FunctionalInterface
  interface Call {
    String run() throws Exception;
  }

  private static Outcome outcome(Call call) {
    try {
      return Outcome.ok(call.run());
    } catch (StatusRuntimeException e) {
      return Outcome.of(e);
    } catch (Exception e) {
      throw new AssertionError("the call failed outside gRPC", e);
    }
  }

  /** DoGet, reading every message of the stream. */
  Outcome doGet(byte[] ticket) {
    return outcome(() -> {
      return drain(blocking().doGet(Flight.Ticket.newBuilder().setTicket(ByteString.copyFrom(ticket)).build()))
          + " messages";
    });
  }

  /** Reads a server stream to its end (which is where its status arrives); returns how many messages it held. */
  private static int drain(Iterator<?> stream) {
    int count = 0;
    while (stream.hasNext()) {
      stream.next();
      count++;
    }
    return count;
  }

  Outcome getFlightInfo(Flight.FlightDescriptor descriptor) {
    return outcome(() -> blocking().getFlightInfo(descriptor).getTotalRecords() + " records");
  }

  Outcome getSchema(Flight.FlightDescriptor descriptor) {
    return outcome(() -> blocking().getSchema(descriptor).getSchema().size() + " schema bytes");
  }

  Outcome pollFlightInfo(Flight.FlightDescriptor descriptor) {
    return outcome(() -> blocking().pollFlightInfo(descriptor).toString());
  }

  Outcome listFlights(byte[] criteria) {
    return outcome(() -> {
      return drain(blocking().listFlights(
          Flight.Criteria.newBuilder().setExpression(ByteString.copyFrom(criteria)).build())) + " datasets";
    });
  }

  Outcome doAction(String type, byte[] body) {
    return outcome(() -> {
      Iterator<Flight.Result> results = blocking().doAction(
          Flight.Action.newBuilder().setType(type).setBody(ByteString.copyFrom(body)).build());
      StringBuilder out = new StringBuilder();
      while (results.hasNext()) {
        out.append(results.next().getBody().toStringUtf8());
      }
      return out.toString();
    });
  }

  /** DoPut of {@code messages}, half-closed after the last; the status the server ended it with. */
  Outcome doPut(List<Flight.FlightData> messages) throws Exception {
    PutCollector collector = new PutCollector();
    StreamObserver<Flight.FlightData> requests = async().doPut(collector);
    for (Flight.FlightData message : messages) {
      requests.onNext(message);
    }
    requests.onCompleted();
    return outcome(collector.await());
  }

  /** DoPut of {@code messages}, then nothing: neither more data nor the end (the idle timeout's case). */
  Outcome doPutAndWait(List<Flight.FlightData> messages) throws Exception {
    PutCollector collector = new PutCollector();
    StreamObserver<Flight.FlightData> requests = async().doPut(collector);
    for (Flight.FlightData message : messages) {
      requests.onNext(message);
    }
    return outcome(collector.await());
  }

  private static Outcome outcome(PutCollector.Outcome put) {
    Status status = put.status();
    return status.isOk() ? Outcome.ok(put.acks().size() + " acknowledgements")
        : new Outcome(status.getCode(), status.getDescription() == null ? "" : status.getDescription());
  }

  /** DoExchange with one (empty) message. */
  Outcome doExchange() throws Exception {
    Status status = sendOne(async()::doExchange, Flight.FlightData.getDefaultInstance());
    return new Outcome(status.getCode(), status.getDescription() == null ? "" : status.getDescription());
  }

  /** A Handshake with no payload (credentials, if any, travel in the header). */
  Outcome handshake() throws Exception {
    Status status = sendOne(async()::handshake, Flight.HandshakeRequest.getDefaultInstance());
    return new Outcome(status.getCode(), status.getDescription() == null ? "handshake done" : status.getDescription());
  }

  /** Starts a bidirectional call, sends {@code message}, half-closes, and waits for the call's status. */
  private static <Q, R> Status sendOne(Function<StreamObserver<R>, StreamObserver<Q>> start, Q message)
      throws Exception {
    CompletableFuture<Status> done = new CompletableFuture<>();
    StreamObserver<Q> requests = start.apply(new StreamObserver<>() {
      @Override
      public void onNext(R value) {}

      @Override
      public void onError(Throwable t) {
        done.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        done.complete(Status.OK);
      }
    });
    requests.onNext(message);
    requests.onCompleted();
    return done.get(CALL_SECONDS, TimeUnit.SECONDS);
  }

  /** A Handshake that must succeed; returns the {@code authorization} header the server answered with. */
  String handshakeForToken() throws Exception {
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    io.grpc.Channel capturing = ClientInterceptors.intercept(calls,
        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
    CompletableFuture<Status> done = new CompletableFuture<>();
    StreamObserver<Flight.HandshakeRequest> requests = FlightServiceGrpc.newStub(capturing)
        .withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS).handshake(new StreamObserver<>() {
          @Override
          public void onNext(Flight.HandshakeResponse value) {}

          @Override
          public void onError(Throwable t) {
            done.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            done.complete(Status.OK);
          }
        });
    requests.onNext(Flight.HandshakeRequest.getDefaultInstance());
    requests.onCompleted();
    Status status = done.get(CALL_SECONDS, TimeUnit.SECONDS);
    if (!status.isOk() || headers.get() == null || headers.get().get(AUTHORIZATION) == null) {
      throw new AssertionError("the handshake gave no token: " + status);
    }
    return headers.get().get(AUTHORIZATION);
  }

  /**
   * Starts a DoGet of {@code ticket} and reads only its first message, so the stream stays open on
   * the server (paused by flow control); cancel the returned context to end it.
   */
  Context.CancellableContext openStream(byte[] ticket) {
    Context.CancellableContext context = Context.current().withCancellation();
    context.run(() -> {
      Iterator<Flight.FlightData> stream = FlightServiceGrpc.newBlockingStub(calls).doGet(
          Flight.Ticket.newBuilder().setTicket(ByteString.copyFrom(ticket)).build());
      stream.next();
    });
    return context;
  }

  /** Starts a DoPut that sends {@code messages} and stays open; complete the upload's observer with an error to end it. */
  StreamObserver<Flight.FlightData> openUpload(List<Flight.FlightData> messages, PutCollector collector) {
    StreamObserver<Flight.FlightData> requests = FlightServiceGrpc.newStub(calls).doPut(collector);
    messages.forEach(requests::onNext);
    return requests;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }
}
