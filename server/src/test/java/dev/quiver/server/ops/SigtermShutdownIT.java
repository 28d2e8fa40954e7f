package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to the shipped jar ({@code java -jar quiver-server.jar}; {@link Process#destroy()} sends
 * SIGTERM on Linux): health turns NOT_SERVING, new calls are refused, a stream being read drains to
 * its last row, and the process exits 0; an upload still open when the drain period ends is cut,
 * leaving no dataset and nothing in {@code .quiver-uploads}, and the process still exits 0.
 */
class SigtermShutdownIT {
  private static final int BATCHES = 48;
  private static final int ROWS = 65_536; // 1 MiB batches: 48 MiB, far more than sockets and gRPC buffer

  @TempDir Path workDir;
  private final List<Process> processes = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Process process : processes) {
      process.destroyForcibly();
    }
  }

  /** Starts the jar on {@code data} and returns its port, read from the port file. */
  private Process launch(Path data, String... extra) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("quiver.server.jar"), "--data", data.toString(), "--host", "127.0.0.1", "--port", "0",
        "--port-file", workDir.resolve("port").toString()));
    command.addAll(List.of(extra));
    Process process = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(workDir.resolve("server.log").toFile())
        .start();
    processes.add(process);
    return process;
  }

  private int awaitPort(Process process) throws Exception {
    Path portFile = workDir.resolve("port");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(portFile)) {
      if (!process.isAlive()) {
        throw new AssertionError("server exited with " + process.exitValue() + ":\n" + log());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no port file within 30 s:\n" + log());
      }
      Thread.sleep(50);
    }
    return Integer.parseInt(Files.readString(portFile, StandardCharsets.US_ASCII).trim());
  }

  private String log() throws Exception {
    return Files.readString(workDir.resolve("server.log"), StandardCharsets.UTF_8);
  }

  private ManagedChannel channel(int port) {
    ManagedChannel channel = Ops.plainChannel(port);
    channels.add(channel);
    return channel;
  }

  private static ServingStatus health(ManagedChannel channel) {
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService("").build()).getStatus();
    } catch (StatusRuntimeException e) {
      return ServingStatus.UNKNOWN; // not answering
    }
  }

  private static void assertExitsZero(Process process, Duration within) throws Exception {
    assertThat(process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)).as("the server exits").isTrue();
    assertThat(process.exitValue()).as("exit code").isZero();
  }

  @Test
  void sigtermDrainsAStreamBeingReadThenExitsZero() throws Exception {
    Path data = Files.createDirectory(workDir.resolve("data"));
    try (BufferAllocator writer = new RootAllocator()) {
      TestTables.writeNumbers(writer, data.resolve("big.arrow"), BATCHES, ROWS);
    }
    Process server = launch(data, "--drain-period", "10s");
    int port = awaitPort(server);
    ManagedChannel probe = channel(port);
    assertThat(health(probe)).isEqualTo(ServingStatus.SERVING);
    try (BufferAllocator allocator = new RootAllocator();
         FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build();
         FlightClient other = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
      long rows;
      long signalled;
      try (FlightStream stream = client.getStream(Ops.ticket("big"))) {
        assertThat(stream.next()).isTrue();
        rows = stream.getRoot().getRowCount();

        server.destroy(); // SIGTERM
        signalled = System.nanoTime();
        TestServer.awaitTrue(() -> health(probe) == ServingStatus.NOT_SERVING, "health to turn NOT_SERVING");
        assertThatThrownBy(() -> other.getInfo(FlightDescriptor.path("big")))
            .satisfies(e -> assertThat(Ops.code(e)).isEqualTo("UNAVAILABLE"));
        assertThat(server.isAlive()).as("the server waits for the stream").isTrue();

        rows += Ops.drain(stream); // slowly enough: the client reads at its own pace
      }
      assertThat(rows).as("every row arrived").isEqualTo((long) BATCHES * ROWS);
      assertExitsZero(server, Duration.ofSeconds(20));
      assertThat(Duration.ofNanos(System.nanoTime() - signalled)).as("exited once drained, before the 10 s period")
          .isLessThan(Duration.ofSeconds(10));
    }
    assertThat(log()).contains("SIGTERM");
  }

  @Test
  void sigtermCutsAnUploadStillOpenWhenTheDrainEndsAndLeavesNothing() throws Exception {
    Path data = Files.createDirectory(workDir.resolve("data"));
    try (BufferAllocator writer = new RootAllocator()) {
      TestTables.writeNumbers(writer, data.resolve("kept.arrow"), 1, 10);
    }
    Process server = launch(data, "--drain-period", "1s");
    int port = awaitPort(server);
    PutCollector outcome = new PutCollector();
    StreamObserver<Flight.FlightData> upload = FlightServiceGrpc.newStub(channel(port)).doPut(outcome);
    upload.onNext(Ops.schemaMessage(new Schema(List.of(Field.notNullable("n", new ArrowType.Int(64, true)))),
        "cut", "off"));
    TestServer.awaitTrue(() -> {
      try {
        return !Ops.staged(data).isEmpty();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "the upload to be staged");

    server.destroy(); // SIGTERM
    assertExitsZero(server, Duration.ofSeconds(15));
    Status status = outcome.status.get(10, TimeUnit.SECONDS);
    assertThat(status.getCode()).isIn(Status.Code.CANCELLED, Status.Code.UNAVAILABLE);
    assertThat(Ops.staged(data)).as("files left in .quiver-uploads").isEmpty();
    assertThat(Ops.files(data)).filteredOn(f -> !f.equals(".quiver-uploads")).containsExactly("kept.arrow");
    assertThat(log()).contains("SIGTERM");
  }
}
