package dev.quiver.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.quiver.server.testing.Numbers;
import dev.quiver.server.testing.ServerProcess;
import dev.quiver.server.testing.TestCertificates;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A served file changed by another program while a DoGet streams it: truncated, overwritten in
 * place, deleted. Each case runs the shipped jar as a process of its own, since touching a mapped
 * page past a truncated end raises SIGBUS, and a JVM that dies of it must fail the test, not the
 * test run. Afterwards the server must still answer, serve other datasets, and serve the changed
 * file as it now is (the catalog notices the new size or time and indexes it again).
 *
 * <p>The reader takes the first batch and pauses; the server then has queued what flow control
 * lets it (the on-ready threshold, HTTP/2 windows, socket buffers: a few MiB of the 32 MiB file),
 * as buffers pointing into the mapping. What happens depends on where the file is cut relative to
 * that queue; docs/reliability/faults.md explains each outcome.
 */
class ServedFileFaultIT {
  private static final int BATCHES = 32;
  private static final int ROWS = 65_536; // two 8-byte columns: 1 MiB per batch
  private static final long TOTAL_ROWS = (long) BATCHES * ROWS;

  @TempDir Path workDir;
  private Path data;
  private Path big;
  private BufferAllocator allocator;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void writeDatasets() throws Exception {
    allocator = new RootAllocator();
    data = Files.createDirectory(workDir.resolve("data"));
    big = TestTables.writeNumbers(allocator, data.resolve("big.arrow"), BATCHES, ROWS);
    TestTables.writeNumbers(allocator, data.resolve("other.arrow"), 2, 1000, 500);
  }

  @AfterEach
  void closeEverything() throws Exception {
    for (AutoCloseable closeable : open.reversed()) {
      closeable.close();
    }
    assertThat(allocator.getAllocatedMemory()).as("test allocator after the test").isZero();
    allocator.close();
  }

  private ServerProcess start(String... args) throws Exception {
    ServerProcess server = ServerProcess.start(data, workDir.resolve("server"), args);
    open.add(server);
    return server;
  }

  private FlightClient client(ServerProcess server) {
    return register(FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port())).build());
  }

  private <T extends AutoCloseable> T register(T closeable) {
    open.add(closeable);
    return closeable;
  }

  @Test
  void aFileTruncatedAheadOfWhatIsQueuedFailsItsStreamWithAClearStatus() throws Exception {
    ServerProcess server = start();
    FlightClient client = client(server);
    try (FlightStream stream = client.getStream(ticket("big"))) {
      long rows = firstBatchThenPause(client, stream);
      truncate(big, 16L << 20); // half the file: far beyond what the server has queued

      Outcome outcome = readRest(stream, rows);
      assertThat(outcome.error()).as("the stream's end").isInstanceOf(FlightRuntimeException.class);
      FlightRuntimeException error = (FlightRuntimeException) outcome.error();
      assertThat(error.status().code()).isEqualTo(FlightStatusCode.INTERNAL);
      assertThat(error.getMessage()).contains("dataset 'big'", "'big.arrow' was truncated in place from");
      assertThat(outcome.rows()).as("rows before the stream stopped").isBetween((long) ROWS, 16L * ROWS);
    }
    server.assertAlive();
    assertThat(server.log()).contains("'big.arrow' was truncated in place");
    assertRecovers(server, client);
  }

  @Test
  void aFileTruncatedUnderFramesAlreadyQueuedCutsTheConnectionAndTheServerSaysWhy() throws Exception {
    ServerProcess server = start();
    FlightClient client = client(server);
    try (FlightStream stream = client.getStream(ticket("big"))) {
      long rows = firstBatchThenPause(client, stream);
      truncate(big, 4096); // everything queued now points past the end of the file

      Outcome outcome = readRest(stream, rows);
      // The socket write of a queued frame fails (EFAULT: the kernel, not the JVM, reads those
      // pages), Netty closes the connection: UNAVAILABLE. If the client drained the queue first, the
      // stream's own check stops it: INTERNAL. Either way the JVM lives.
      assertThat(outcome.error()).as("the stream's end").isInstanceOf(FlightRuntimeException.class);
      assertThat(((FlightRuntimeException) outcome.error()).status().code())
          .isIn(FlightStatusCode.UNAVAILABLE, FlightStatusCode.INTERNAL);
      assertThat(outcome.rows()).isLessThan(TOTAL_ROWS);
    }
    server.assertAlive();
    // Whether the connection was cut (the call then ends CANCELLED) or the stream stopped itself;
    // the cancellation reaches the server after the client saw the connection go.
    TestServer.awaitTrue(() -> server.log().contains("'big.arrow' was truncated in place from"),
        "the server to log the truncation");
    assertRecovers(server, client);
  }

  @Test
  void aFileOverwrittenInPlaceIsSentAsItNowIsThenIndexedAgain() throws Exception {
    ServerProcess server = start();
    FlightClient client = client(server);
    // Same shape, other values: the same size, so only the modification time tells the change.
    Path replacement = TestTables.writeNumbers(allocator, workDir.resolve("replacement.arrow"), BATCHES, ROWS,
        1_000_000_000L);
    assertThat(Files.size(replacement)).isEqualTo(Files.size(big));
    List<Long> firstValues = new ArrayList<>();
    try (FlightStream stream = client.getStream(ticket("big"))) {
      assertThat(stream.next()).isTrue();
      firstValues.add(firstValue(stream));
      awaitSettled(client);
      overwriteInPlace(big, Files.readAllBytes(replacement));
      while (stream.next()) {
        firstValues.add(firstValue(stream));
      }
    }
    // Headers were indexed from the old file, bodies are read when sent: batches sent after the
    // write carry the new values. Nothing can tell a rewrite of the same size from a touch without
    // reading the whole file, so the stream is not stopped (docs/reliability/faults.md).
    assertThat(firstValues).hasSize(BATCHES);
    assertThat(firstValues.get(0)).isZero();
    assertThat(firstValues.get(BATCHES - 1)).isEqualTo(1_000_000_000L + (long) (BATCHES - 1) * ROWS);
    server.assertAlive();
    assertThat(Numbers.read(client, "big", 1_000_000_000L)).as("rows after the change").isEqualTo(TOTAL_ROWS);
    assertThat(Numbers.read(client, "other", 500)).isEqualTo(2000);
  }

  @Test
  void aFileDeletedMidStreamIsReadToTheEndThenItsMappingGoes() throws Exception {
    ServerProcess server = start();
    FlightClient client = client(server);
    try (FlightStream stream = client.getStream(ticket("big"))) {
      firstBatchThenPause(client, stream);
      Files.delete(big);
      // The mapping keeps the deleted file's pages: the stream ends as it began.
      assertThat(ROWS + Numbers.check(stream, ROWS, "big")).isEqualTo(TOTAL_ROWS);
    }
    server.assertAlive();
    FlightRuntimeException missing = (FlightRuntimeException) catchThrowable(() -> Numbers.read(client, "big", 0));
    assertThat(missing.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND);
    // Asking for it let the catalog drop its mapping: the deleted file's space is free.
    assertThat(server.resources(data).mappingsUnder()).noneMatch(line -> line.contains("big.arrow"));
    assertThat(Numbers.read(client, "other", 500)).isEqualTo(2000);
    TestTables.writeNumbers(allocator, big, 3, 1000, 77);
    assertThat(Numbers.read(client, "big", 77)).isEqualTo(3000);
  }

  @Test
  void withTlsATruncatedFileFailsTheStreamInsteadOfKillingTheServer() throws Exception {
    TestCertificates certs = TestCertificates.generate(workDir.resolve("certs"));
    // A 4 MiB stream buffer: the server queues that much beyond what the client's window lets through.
    ServerProcess server = start("--tls-cert", certs.serverCert().toString(), "--tls-key", certs.serverKey().toString(),
        "--stream-buffer", "4MiB");
    FlightClient client;
    try (InputStream ca = Files.newInputStream(certs.ca())) {
      client = register(FlightClient.builder(allocator, Location.forGrpcTls("localhost", server.port()))
          .trustedCertificates(ca).build());
    }
    Path pristine = Files.copy(big, workDir.resolve("pristine.arrow"));
    int window = 256 << 10;
    // Where the cut lands in the queued frames decides which code reads the vanished pages first:
    // Java (Netty copying small pieces together: InternalError, the connection is closed) or, before
    // the fix, the native TLS engine reading the mapping (SIGBUS: the JVM died). A few cuts, each on
    // a fresh copy of the file, make the second all but certain without the fix.
    for (long cut : new long[] {window + (200 << 10), window + (1300 << 10), window + (2700 << 10)}) {
      Path fresh = Files.copy(pristine, data.resolve(".big.arrow.tmp"));
      Files.move(fresh, big, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      try (LargeFrameDoGet get = LargeFrameDoGet.open(server.port(), certs.ca(), "big", window)) {
        awaitSettled(client); // the client has not read: the window sent, the next 4 MiB queued in the server
        truncate(big, cut);
        get.startReading();
        LargeFrameDoGet.Outcome outcome = get.await(Duration.ofSeconds(30));
        if (outcome.grpcStatus() == null) {
          server.assertStaysAlive(Duration.ofSeconds(3)); // the connection went: was it the whole server?
        }
        assertThat(outcome.grpcStatus()).as("gRPC status of " + outcome + ", cut at " + cut).isEqualTo("13"); // INTERNAL
        assertThat(outcome.grpcMessage()).contains("truncated in place");
        assertThat(outcome.dataBytes()).isGreaterThan(window);
      }
    }
    server.assertAlive();
    assertRecovers(server, client);
  }

  // ---- steps ---------------------------------------------------------------------------------------

  private static Ticket ticket(String dataset) {
    return new Ticket(dataset.getBytes(StandardCharsets.UTF_8));
  }

  /** Reads the first batch, then waits until the server has queued all it will: returns rows read. */
  private static long firstBatchThenPause(FlightClient client, FlightStream stream) throws Exception {
    assertThat(stream.next()).isTrue();
    awaitSettled(client);
    return stream.getRoot().getRowCount();
  }

  /** Waits until the server's count of bytes handed to gRPC stops moving (its streams wait for clients). */
  private static void awaitSettled(FlightClient client) throws Exception {
    long last = -1;
    int still = 0;
    while (still < 5) {
      Thread.sleep(100);
      long sent = ServerProcess.stats(client).get("doget_bytes_sent").asLong();
      still = sent == last ? still + 1 : 0;
      last = sent;
    }
  }

  /** How a stream read to its end went: rows read in all, and the failure that ended it, if any. */
  private record Outcome(long rows, Throwable error) {}

  private static Outcome readRest(FlightStream stream, long rows) {
    try {
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
      return new Outcome(rows, null);
    } catch (RuntimeException e) {
      return new Outcome(rows, e);
    }
  }

  private static long firstValue(FlightStream stream) {
    return ((BigIntVector) stream.getRoot().getVector("n")).get(0);
  }

  /** Another program truncates the file in place (same inode), as {@code truncate -s} would. */
  private static void truncate(Path file, long size) throws Exception {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(size);
    }
  }

  /** Another program writes new bytes over the file in place (same inode), as {@code dd conv=notrunc} would. */
  private static void overwriteInPlace(Path file, byte[] bytes) throws Exception {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer, buffer.position());
      }
    }
  }

  /**
   * After a truncation: the server serves other datasets, refuses the truncated file with a clear
   * error (it is no longer a complete Arrow file), and serves it again once it is whole.
   */
  private void assertRecovers(ServerProcess server, FlightClient client) throws Exception {
    assertThat(Numbers.read(client, "other", 500)).isEqualTo(2000);
    FlightRuntimeException broken = (FlightRuntimeException) catchThrowable(() -> Numbers.read(client, "big", 0));
    assertThat(broken.status().code()).isEqualTo(FlightStatusCode.INTERNAL);
    assertThat(broken.getMessage()).contains("'big.arrow' is not a valid Arrow IPC file");
    Path whole = TestTables.writeNumbers(allocator, workDir.resolve("whole.arrow"), 3, 1000, 42);
    try (FileChannel channel = FileChannel.open(big, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.write(ByteBuffer.wrap(Files.readAllBytes(whole)));
    }
    assertThat(Numbers.read(client, "big", 42)).as("rows of the file written again").isEqualTo(3000);
    server.assertAlive();
  }
}
