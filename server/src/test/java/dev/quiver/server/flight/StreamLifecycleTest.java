package dev.quiver.server.flight;

import static dev.quiver.server.flight.FlightReads.mixedRows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lifetimes and flow control: a slow client bounds what the server queues, a cancelled stream
 * releases everything, and a file replaced or deleted mid-stream is read to the end as it was.
 */
class StreamLifecycleTest {
  private static final int ROWS_PER_BATCH = 65_536; // two 8-byte columns: 1 MiB per batch
  private static final long BATCH_BYTES = ROWS_PER_BATCH * 16L;

  @TempDir Path data;
  private BufferAllocator writer;
  private int mappingsBefore;

  @BeforeEach
  void setUp() {
    writer = new RootAllocator();
    mappingsBefore = MappedFile.liveMappings();
  }

  @AfterEach
  void tearDown() {
    writer.close();
    // Every mapping made during the test was unmapped once streams, buffers and catalog let go.
    assertThat(MappedFile.liveMappings()).as("live mappings after the test").isEqualTo(mappingsBefore);
  }

  @Test
  void aSlowClientBoundsWhatTheServerQueues() throws Exception {
    TestTables.writeNumbers(writer, data.resolve("big.arrow"), 48, ROWS_PER_BATCH);
    int threshold = 1 << 20;
    long sentBefore = DoGetStream.bytesSent(); // a JVM-wide counter: other test classes sent bytes too
    try (TestServer server = TestServer.start(ServerConfig.forTesting(data).withOnReadyThreshold(threshold));
         FlightStream stream = server.client().getStream(FlightReads.ticket("big"))) {
      assertThat(stream.next()).isTrue();
      long[] settled = awaitSettled();
      // The client has stopped reading: the server has paused, holding at most the on-ready
      // threshold plus the message that crossed it (mapped bytes; nothing is copied to hold them).
      assertThat(FlightServiceDefinition.activeDoGetStreams()).isEqualTo(1);
      assertThat(settled[0]).isLessThanOrEqualTo(threshold + 2 * BATCH_BYTES);
      assertThat(settled[1] - sentBefore).as("bytes handed to gRPC while paused").isLessThan(48 * BATCH_BYTES / 2);

      long rows = stream.getRoot().getRowCount();
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
      assertThat(rows).isEqualTo(48L * ROWS_PER_BATCH);
    }
  }

  /** Waits until the server stops handing bytes to gRPC; returns {in-flight bytes, bytes sent}. */
  private static long[] awaitSettled() throws InterruptedException {
    long lastSent = -1;
    int stableRounds = 0;
    while (stableRounds < 10) {
      Thread.sleep(50);
      long sent = DoGetStream.bytesSent();
      stableRounds = sent == lastSent ? stableRounds + 1 : 0;
      lastSent = sent;
    }
    return new long[] {FlightServiceDefinition.bodyBytesInFlight(), lastSent};
  }

  @Test
  void cancellingMidStreamReleasesTheStreamAndItsBuffers() throws Exception {
    TestTables.writeNumbers(writer, data.resolve("big.arrow"), 32, ROWS_PER_BATCH);
    try (TestServer server = TestServer.start(data)) {
      try (FlightStream stream = server.client().getStream(FlightReads.ticket("big"))) {
        assertThat(stream.next()).isTrue();
        stream.cancel("test cancels", null);
      }
      server.awaitQuiet();
      // Only the catalog's own reference to the file is left.
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
      // And the server carries on.
      assertThat(server.client().getInfo(FlightDescriptor.path("big")).getRecords()).isEqualTo(32L * ROWS_PER_BATCH);
    }
  }

  @Test
  void aFileReplacedMidStreamIsReadToTheEndAsItWas() throws Exception {
    Path file = TestTables.writeMixed(writer, data.resolve("mixed.arrow"), 8, 1000, false);
    try (TestServer server = TestServer.start(data)) {
      List<List<Object>> rows = new ArrayList<>();
      try (FlightStream stream = server.client().getStream(FlightReads.ticket("mixed"))) {
        assertThat(stream.next()).isTrue();
        collect(stream, rows);
        Path replacement = data.resolve(".mixed.next");
        TestTables.writeMixed(writer, replacement, 1, 3, false);
        Files.move(replacement, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        while (stream.next()) {
          collect(stream, rows);
        }
      }
      assertThat(rows).isEqualTo(mixedRows(0, 8000));
      assertThat(FlightReads.read(server.client(), "mixed").rows()).isEqualTo(mixedRows(0, 3));
      server.awaitQuiet();
      assertThat(MappedFile.liveMappings()).as("the old version is unmapped").isEqualTo(mappingsBefore + 1);
    }
  }

  @Test
  void aFileDeletedMidStreamIsReadToTheEndAsItWas() throws Exception {
    Path file = TestTables.writeMixed(writer, data.resolve("mixed.arrows"), 8, 1000, true);
    try (TestServer server = TestServer.start(data)) {
      List<List<Object>> rows = new ArrayList<>();
      try (FlightStream stream = server.client().getStream(FlightReads.ticket("mixed"))) {
        assertThat(stream.next()).isTrue();
        collect(stream, rows);
        Files.delete(file);
        while (stream.next()) {
          collect(stream, rows);
        }
      }
      assertThat(rows).isEqualTo(mixedRows(0, 8000));
      assertThat(server.server().catalog().names()).isEmpty();
    }
  }

  private static void collect(FlightStream stream, List<List<Object>> rows) {
    for (int i = 0; i < stream.getRoot().getRowCount(); i++) {
      rows.add(TestTables.row(stream.getRoot(), i, stream.getDictionaryProvider()));
    }
  }
}
