package dev.quiver.server.upload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.testing.Numbers;
import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.SmallFilesystem;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads onto a data root that fills up: a real 8 MiB filesystem (tmpfs), so writes fail with
 * ENOSPC as on a full disk. The upload must fail with RESOURCE_EXHAUSTED naming the dataset, leave
 * nothing (no dataset, no staged file, its space free again), and the server must go on serving
 * and storing smaller uploads.
 */
class DiskFullUploadTest {
  private static final long FILESYSTEM_BYTES = 8L << 20;
  private static final int ROWS = 65_536; // 1 MiB batches

  @TempDir Path scratch;
  private SmallFilesystem filesystem;
  private Path data;
  private BufferAllocator allocator;
  private ManagedChannel channel;

  @BeforeEach
  void mountASmallDataRoot() throws Exception {
    filesystem = SmallFilesystem.mount(scratch.resolve("fs"), FILESYSTEM_BYTES);
    data = filesystem.path();
    allocator = new RootAllocator();
    TestTables.writeNumbers(allocator, data.resolve("kept.arrow"), 1, ROWS, 0);
  }

  @AfterEach
  void unmount() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (allocator != null) {
      assertThat(allocator.getAllocatedMemory()).isZero();
      allocator.close();
    }
    if (filesystem != null) {
      filesystem.close();
    }
  }

  private TestServer start(UploadLimits limits) throws Exception {
    TestServer server = TestServer.start(ServerConfig.forTesting(data).withUploadLimits(limits));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.server().port()).usePlaintext().build();
    return server;
  }

  @Test
  void anUploadThatFillsTheDiskIsResourceExhaustedLeavesNothingAndTheServerGoesOn() throws Exception {
    try (TestServer server = start(new UploadLimits(1L << 40, 0))) { // no reserve: the disk really fills
      long usableBefore = filesystem.usableBytes();
      PutCollector.Outcome outcome = Numbers.put(channel,
          Numbers.upload(allocator, Numbers.create("big"), 12, ROWS, 0)); // 12 MiB onto 7 MiB free

      assertThat(outcome.status().getCode()).as(outcome.status().toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(outcome.status().getDescription())
          .isEqualTo("not storing dataset 'big': the data root's filesystem is full (No space left on device);"
              + " nothing of the upload was kept");
      assertThat(outcome.acks()).as("batches stored before the disk filled").isNotEmpty();
      awaitNothingStaged();
      assertThat(datasetFiles()).containsExactly("kept.arrow");
      assertThat(filesystem.usableBytes()).as("the failed upload's space is free again").isEqualTo(usableBefore);

      assertThat(Numbers.read(server.client(), "kept", 0)).isEqualTo(ROWS);
      PutCollector.Outcome small = Numbers.put(channel, Numbers.upload(allocator, Numbers.create("small"), 3, 1000, 9));
      assertThat(Numbers.durable(small)).as(small.toString()).isTrue();
      assertThat(Numbers.read(server.client(), "small", 9)).isEqualTo(3000);
    }
  }

  @Test
  void theFreeDiskReserveStopsAnUploadAsItGrowsBeforeTheDiskIsFull() throws Exception {
    // 7 MiB free at the start, above the 5 MiB reserve; after 64 batches (the check's period) of
    // 64 KiB, 3 MiB: below it, and the upload stops there, before the disk is full.
    try (TestServer server = start(new UploadLimits(1L << 40, 5L << 20))) {
      PutCollector.Outcome outcome = Numbers.put(channel, Numbers.upload(allocator, Numbers.create("big"), 128, 4096, 0));

      assertThat(outcome.status().getCode()).as(outcome.status().toString()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(outcome.status().getDescription())
          .startsWith("not storing dataset 'big': the data root has ")
          .endsWith("bytes free, below the configured reserve of " + (5L << 20));
      assertThat(outcome.acks()).hasSize(63);
      awaitNothingStaged();
      assertThat(datasetFiles()).containsExactly("kept.arrow");
      assertThat(Numbers.read(server.client(), "kept", 0)).isEqualTo(ROWS);
    }
  }

  /** Regular files in the data root outside the staging directory, relative. */
  private List<String> datasetFiles() throws Exception {
    try (Stream<Path> walk = Files.walk(data)) {
      return walk.filter(Files::isRegularFile)
          .filter(f -> !f.startsWith(data.resolve(UploadStaging.DIRECTORY)))
          .map(f -> data.relativize(f).toString()).sorted().toList();
    }
  }

  private void awaitNothingStaged() {
    TestServer.awaitTrue(() -> {
      try (Stream<Path> walk = Files.walk(data.resolve(UploadStaging.DIRECTORY))) {
        return walk.noneMatch(Files::isRegularFile);
      } catch (java.nio.file.NoSuchFileException e) {
        return true;
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }, "the staging directory to be empty");
  }
}
