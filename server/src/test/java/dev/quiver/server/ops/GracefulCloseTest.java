package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.Operations;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QuiverServer#close()}, what SIGTERM runs: new calls are refused (UNAVAILABLE) at once,
 * running streams finish within the drain period (and the close returns as soon as they have), and
 * an upload still open when the drain period ends is cut, leaving no dataset and no staged file.
 */
class GracefulCloseTest {
  private static final int BATCHES = 48;
  private static final int ROWS = 65_536; // 1 MiB batches: 48 MiB is more than gRPC and the sockets buffer

  @TempDir Path data;
  private BufferAllocator allocator;

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() {
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private QuiverServer start(Duration drain) throws Exception {
    return QuiverServer.start(ServerConfig.forTesting(data).withOperations(Operations.DEFAULTS.withDrainPeriod(drain)));
  }

  private static CompletableFuture<Void> closeAsync(QuiverServer server) {
    return CompletableFuture.runAsync(() -> {
      try {
        server.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void aStreamBeingReadFinishesWhileNewCallsAreRefused() throws Exception {
    TestTables.writeNumbers(allocator, data.resolve("big.arrow"), BATCHES, ROWS);
    QuiverServer server = start(Duration.ofSeconds(20));
    try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port()))
             .build();
         FlightClient other = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port()))
             .build()) {
      assertThat(other.getInfo(FlightDescriptor.path("big")).getRecords()).isEqualTo((long) BATCHES * ROWS);
      long rows;
      CompletableFuture<Void> closing;
      long closeStarted;
      try (FlightStream stream = client.getStream(Ops.ticket("big"))) {
        assertThat(stream.next()).isTrue();
        rows = stream.getRoot().getRowCount();
        closeStarted = System.nanoTime();
        closing = closeAsync(server);
        // New calls, on a connection in use or a new one, are refused while the stream drains.
        TestServer.awaitTrue(() -> refused(() -> other.getInfo(FlightDescriptor.path("big"))),
            "new calls to be refused");
        assertThatThrownBy(() -> client.getInfo(FlightDescriptor.path("big")))
            .satisfies(e -> assertThat(Ops.code(e)).isEqualTo("UNAVAILABLE"))
            .hasMessageContaining("shutting down");
        try (FlightStream refused = other.getStream(Ops.ticket("big"))) {
          assertThatThrownBy(refused::next).satisfies(e -> assertThat(Ops.code(e)).isEqualTo("UNAVAILABLE"));
        }
        assertThat(closing).as("the close waits for the running stream").isNotDone();
        // The stream goes on to its end: every row arrives.
        rows += Ops.drain(stream);
      }
      assertThat(rows).isEqualTo((long) BATCHES * ROWS);
      closing.get(10, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - closeStarted))
          .as("the close returns once the stream is done, not at the end of the drain period")
          .isLessThan(Duration.ofSeconds(15));
    } finally {
      server.close();
    }
  }

  private static boolean refused(Runnable call) {
    try {
      call.run();
      return false;
    } catch (RuntimeException e) {
      return Ops.code(e).equals("UNAVAILABLE");
    }
  }

  @Test
  void aStreamNotReadWithinTheDrainPeriodIsCut() throws Exception {
    TestTables.writeNumbers(allocator, data.resolve("big.arrow"), BATCHES, ROWS);
    QuiverServer server = start(Duration.ofMillis(500));
    try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port()))
        .build()) {
      try (FlightStream stream = client.getStream(Ops.ticket("big"))) {
        assertThat(stream.next()).isTrue();
        long started = System.nanoTime();
        server.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
        // What the client still had buffered may be read; then the stream fails: it was not completed.
        assertThatThrownBy(() -> Ops.drain(stream))
            .satisfies(e -> assertThat(Ops.code(e)).isIn("CANCELLED", "UNAVAILABLE", "INTERNAL", "UNKNOWN"));
      }
    } finally {
      server.close();
    }
  }

  @Test
  void anUploadStillOpenWhenTheDrainEndsIsCutAndLeavesNothing() throws Exception {
    TestTables.writeNumbers(allocator, data.resolve("kept.arrow"), 1, 10);
    List<String> before = Ops.files(data);
    QuiverServer server = start(Duration.ofMillis(500));
    ManagedChannel channel = Ops.plainChannel(server.port());
    try {
      PutCollector outcome = new PutCollector();
      StreamObserver<Flight.FlightData> upload = FlightServiceGrpc.newStub(channel).doPut(outcome);
      upload.onNext(Ops.schemaMessage(new Schema(List.of(Field.notNullable("n", new ArrowType.Int(64, true)))),
          "cut", "short"));
      // The server has started staging the upload ...
      TestServer.awaitTrue(() -> !staged().isEmpty(), "the upload to be staged");
      long started = System.nanoTime();
      server.close();
      // ... and the close cut it when the 0.5 s drain period ended.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(8));
      Status status = outcome.status.get(10, TimeUnit.SECONDS);
      assertThat(status.getCode()).isIn(Status.Code.CANCELLED, Status.Code.UNAVAILABLE);
      upload.onError(Status.CANCELLED.asRuntimeException());
      TestServer.awaitTrue(() -> staged().isEmpty(), "the staged upload to be deleted");
      assertThat(Files.exists(data.resolve("cut"))).isFalse();
      List<String> after = Ops.files(data);
      assertThat(after).filteredOn(f -> !f.equals(".quiver-uploads")).isEqualTo(before);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.close();
    }
  }

  private List<String> staged() {
    try {
      return Ops.staged(data);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void closingTwiceOrFromTwoThreadsIsSafe() throws Exception {
    QuiverServer server = start(Duration.ofSeconds(5));
    CompletableFuture<Void> first = closeAsync(server);
    CompletableFuture<Void> second = closeAsync(server);
    server.close();
    first.get(10, TimeUnit.SECONDS);
    second.get(10, TimeUnit.SECONDS);
    server.awaitClosed();
  }
}
