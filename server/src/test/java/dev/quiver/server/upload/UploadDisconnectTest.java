package dev.quiver.server.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.testing.Numbers;
import dev.quiver.server.testing.ProcessResources;
import dev.quiver.server.testing.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that go away in the middle of an upload, again and again: each sends its schema and a
 * batch, waits until the server has stored it (the acknowledgement: a staged file exists), then
 * half cancel the call, half drop the connection. Afterwards nothing of them is left: no staged
 * file, no dataset, no descriptor open on a file of the data root, no bytes counted in progress,
 * an empty allocator (the uploads ask for zstd, so the server's compressor uses it).
 */
class UploadDisconnectTest {
  private static final int ITERATIONS = 200;
  private static final int WARM_UP = 10;

  @TempDir Path data;

  @Test
  void clientsThatGoAwayMidUploadLeaveNothingBehind() throws Exception {
    Assumptions.assumeTrue(ProcessResources.available(), "needs /proc (Linux)");
    try (BufferAllocator allocator = new RootAllocator();
         TestServer server = TestServer.start(data)) {
      int port = server.server().port();
      List<Flight.FlightData> upload = Numbers.upload(allocator, compressed("gone"), 4, 1000, 0);
      for (int i = 0; i < WARM_UP; i++) {
        uploadSomeThenLeave(port, upload, i % 2 == 0);
      }
      awaitNothingStaged();
      ProcessResources before = ProcessResources.settled(data);
      int mappingsBefore = MappedFile.liveMappings();

      for (int i = 0; i < ITERATIONS; i++) {
        uploadSomeThenLeave(port, upload, i % 2 == 0);
      }

      awaitNothingStaged();
      ProcessResources after = ProcessResources.settledAtMost(data, before.openFiles());
      System.out.printf("DoPut disconnects: %d; open files %d -> %d; files open under the data root %s -> %s;"
              + " mappings of data files %d -> %d; live mappings %d -> %d; bytes in progress %d;"
              + " server allocator %d bytes (peak %d)%n",
          ITERATIONS, before.openFiles(), after.openFiles(), before.filesUnder(), after.filesUnder(),
          before.mappingsUnder().size(), after.mappingsUnder().size(), mappingsBefore, MappedFile.liveMappings(),
          UploadSession.bytesInProgress(), server.server().allocator().getAllocatedMemory(),
          server.server().allocator().getPeakMemoryAllocation());
      assertThat(after.openFiles()).as("open file descriptors").isLessThanOrEqualTo(before.openFiles());
      assertThat(after.filesUnder()).as("descriptors open on files of the data root").isEmpty();
      assertThat(after.mappingsUnder()).as("mappings of files of the data root").isEmpty();
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
      assertThat(UploadSession.bytesInProgress()).as("bytes counted as uploads in progress").isZero();
      assertThat(server.server().allocator().getPeakMemoryAllocation()).as("the compressor ran").isPositive();
      assertThat(server.server().allocator().getAllocatedMemory()).isZero();
      assertThat(server.server().catalog().names()).isEmpty();
      try (Stream<Path> files = Files.walk(data)) {
        assertThat(files.filter(Files::isRegularFile).toList()).as("files in the data root").isEmpty();
      }
    }
  }

  private static Flight.FlightDescriptor compressed(String dataset) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD)
        .setCmd(com.google.protobuf.ByteString.copyFromUtf8(
            "{\"dataset\": \"" + dataset + "\", \"compression\": \"zstd\"}"))
        .build();
  }

  /** One client: sends the schema and a batch, waits for its acknowledgement, then leaves. */
  private static void uploadSomeThenLeave(int port, List<Flight.FlightData> upload, boolean cancel) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      CountDownLatch stored = new CountDownLatch(1);
      ClientCallStreamObserver<Flight.FlightData>[] call = new ClientCallStreamObserver[1];
      FlightServiceGrpc.newStub(channel).doPut(new ClientResponseObserver<Flight.FlightData, Flight.PutResult>() {
        @Override
        public void beforeStart(ClientCallStreamObserver<Flight.FlightData> requestStream) {
          call[0] = requestStream;
        }

        @Override
        public void onNext(Flight.PutResult ack) {
          stored.countDown();
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
      call[0].onNext(upload.get(0)); // schema
      call[0].onNext(upload.get(1)); // first batch
      assertThat(stored.await(30, TimeUnit.SECONDS)).as("the first batch acknowledged").isTrue();
      if (cancel) {
        call[0].cancel("the client goes away", null);
      }
    } finally {
      channel.shutdownNow(); // for the other half, this is the disconnect
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private void awaitNothingStaged() {
    TestServer.awaitTrue(() -> {
      try (Stream<Path> walk = Files.walk(data.resolve(UploadStaging.DIRECTORY))) {
        return walk.noneMatch(Files::isRegularFile);
      } catch (NoSuchFileException e) {
        return true;
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }, "the staging directory to be empty");
  }
}
