package dev.quiver.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightServerMiddleware;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A Flight server that checks credentials, which Quiver's server does not (yet): it lists no
 * datasets to callers with the right token or user and password, refuses others as UNAUTHENTICATED,
 * and the token {@value #READ_ONLY_TOKEN} as UNAUTHORIZED (permission denied). It records the
 * {@code authorization} header of every call, so tests can see what the command sent.
 */
final class FakeFlightServer implements AutoCloseable {
  static final String TOKEN = "s3cret-token";
  static final String READ_ONLY_TOKEN = "read-only";
  static final String USER = "ada";
  static final String PASSWORD = "lovelace";

  final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final BufferAllocator allocator = new RootAllocator();
  private final FlightServer server;

  FakeFlightServer() throws IOException {
    String basic = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    FlightServerMiddleware.Factory<FlightServerMiddleware> checkCredentials = (info, headers, context) -> {
      String authorization = headers.get("authorization");
      authorizations.add(String.valueOf(authorization));
      if (("Bearer " + READ_ONLY_TOKEN).equals(authorization)) {
        throw CallStatus.UNAUTHORIZED.withDescription("this token may not list datasets").toRuntimeException();
      }
      if (!("Bearer " + TOKEN).equals(authorization) && !basic.equals(authorization)) {
        throw CallStatus.UNAUTHENTICATED.withDescription("missing or wrong credentials").toRuntimeException();
      }
      return new FlightServerMiddleware() {
        @Override
        public void onBeforeSendingHeaders(org.apache.arrow.flight.CallHeaders outgoingHeaders) {}

        @Override
        public void onCallCompleted(CallStatus status) {}

        @Override
        public void onCallErrored(Throwable err) {}
      };
    };
    server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0), new NoOpFlightProducer() {
          @Override
          public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
            listener.onCompleted();
          }
        })
        .middleware(FlightServerMiddleware.Key.of("credentials"), checkCredentials)
        .build()
        .start();
  }

  String address() {
    return "grpc://127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdown();
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    allocator.close();
  }
}
