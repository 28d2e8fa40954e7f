package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.testing.ProcessResources;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that go away in the middle of a DoGet, again and again: half cancel the call (RST_STREAM),
 * half drop the connection. Afterwards the server holds exactly what it held before: no stream, no
 * buffer queued in gRPC, no extra file descriptor, the one mapping the catalog caches, an empty
 * allocator. (The figures go to docs/reliability/faults.md.)
 */
class DoGetDisconnectTest {
  private static final int ITERATIONS = 200;
  private static final int WARM_UP = 10;

  @TempDir Path data;

  @Test
  void clientsThatGoAwayMidStreamLeaveNothingBehind() throws Exception {
    Assumptions.assumeTrue(ProcessResources.available(), "needs /proc (Linux)");
    try (BufferAllocator writer = new RootAllocator()) {
      TestTables.writeNumbers(writer, data.resolve("big.arrow"), 32, 16_384); // 256 KiB batches, 8 MiB
    }
    try (TestServer server = TestServer.start(data)) {
      int port = server.server().port();
      for (int i = 0; i < WARM_UP; i++) { // starts the event loops, pools and the catalog's mapping
        readSomeThenLeave(port, i % 2 == 0);
      }
      server.awaitQuiet();
      ProcessResources before = ProcessResources.settled(data);
      int mappingsBefore = MappedFile.liveMappings();

      for (int i = 0; i < ITERATIONS; i++) {
        readSomeThenLeave(port, i % 2 == 0);
      }

      server.awaitQuiet();
      ProcessResources after = ProcessResources.settledAtMost(data, before.openFiles());
      System.out.printf("DoGet disconnects: %d; open files %d -> %d; files open under the data root %s -> %s;"
              + " mappings of data files %d -> %d; live mappings %d -> %d; server allocator %d bytes%n",
          ITERATIONS, before.openFiles(), after.openFiles(), before.filesUnder(), after.filesUnder(),
          before.mappingsUnder().size(), after.mappingsUnder().size(), mappingsBefore, MappedFile.liveMappings(),
          server.server().allocator().getAllocatedMemory());
      assertThat(FlightServiceDefinition.activeDoGetStreams()).isZero();
      assertThat(FlightServiceDefinition.bodyBytesInFlight()).isZero();
      assertThat(after.openFiles()).as("open file descriptors").isLessThanOrEqualTo(before.openFiles());
      assertThat(after.filesUnder()).as("descriptors open on data files").isEmpty();
      assertThat(after.mappingsUnder()).as("mappings of data files").isEqualTo(before.mappingsUnder()).hasSize(1);
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
      assertThat(server.server().allocator().getAllocatedMemory()).isZero();
    }
  }

  /**
   * One client: starts a DoGet, takes the schema and the first batch, then cancels the call or
   * drops its connection while the server still has batches to send.
   */
  private static void readSomeThenLeave(int port, boolean cancel) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      CountDownLatch twoMessages = new CountDownLatch(2);
      AtomicBoolean completed = new AtomicBoolean();
      ClientCallStreamObserver<?>[] call = new ClientCallStreamObserver<?>[1];
      FlightServiceGrpc.newStub(channel).doGet(
          Flight.Ticket.newBuilder().setTicket(ByteString.copyFromUtf8("big")).build(),
          new ClientResponseObserver<Flight.Ticket, Flight.FlightData>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<Flight.Ticket> requestStream) {
              call[0] = requestStream;
            }

            @Override
            public void onNext(Flight.FlightData data) {
              twoMessages.countDown();
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              completed.set(true);
            }
          });
      assertThat(twoMessages.await(30, TimeUnit.SECONDS)).as("schema and first batch").isTrue();
      assertThat(completed).as("the stream ended before the client left").isFalse();
      if (cancel) {
        call[0].cancel("the client goes away", null);
      }
    } finally {
      channel.shutdownNow(); // for the other half, this is the disconnect
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
