package dev.quiver.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.catalog.SampleDataset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped jar, started the way the README and the issue say: {@code java -jar quiver-server.jar ...}. */
class ServerLauncherIT {
  private static final Pattern LISTENING =
      Pattern.compile("Quiver listening on grpc\\+tcp://127\\.0\\.0\\.1:(\\d+) serving (\\d+) datasets? from ");

  @TempDir Path workDir;

  private Process launch(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("quiver.server.jar")));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(workDir.resolve("server.log").toFile())
        .start();
  }

  private Matcher awaitListening(Process process) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = LISTENING.matcher(log());
      if (m.find()) {
        return m;
      }
      if (!process.isAlive()) {
        throw new AssertionError("server exited with " + process.exitValue() + ":\n" + log());
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no 'listening' line within 30 s:\n" + log());
  }

  private String log() throws Exception {
    return Files.readString(workDir.resolve("server.log"), StandardCharsets.UTF_8);
  }

  private static void stop(Process process) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }

  @Test
  void withoutDataItServesAGeneratedSampleFromDotSlashData() throws Exception {
    Process server = launch("--host", "127.0.0.1", "--port", "0");
    try {
      Matcher listening = awaitListening(server);
      assertThat(listening.group(2)).isEqualTo("1");
      assertThat(workDir.resolve("data/sample.arrow")).isRegularFile();
      int port = Integer.parseInt(listening.group(1));
      try (BufferAllocator allocator = new RootAllocator();
           FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build();
           FlightStream stream = client.getStream(new Ticket("sample".getBytes(StandardCharsets.UTF_8)))) {
        long rows = 0;
        while (stream.next()) {
          rows += stream.getRoot().getRowCount();
        }
        assertThat(rows).isEqualTo((long) SampleDataset.BATCHES * SampleDataset.ROWS_PER_BATCH);
        assertThat(stream.getSchema()).isEqualTo(SampleDataset.schema());
      }
    } finally {
      stop(server);
    }
  }

  @Test
  void anExplicitEmptyDataDirectoryStaysEmptyAndThePortFileIsWritten() throws Exception {
    Path data = Files.createDirectory(workDir.resolve("mine"));
    Path portFile = workDir.resolve("port");
    Process server = launch("--data", data.toString(), "--host", "127.0.0.1", "--port", "0", "--port-file",
        portFile.toString());
    try {
      Matcher listening = awaitListening(server);
      assertThat(listening.group(2)).isEqualTo("0");
      assertThat(Files.readString(portFile)).isEqualTo(listening.group(1));
      try (var entries = Files.list(data)) {
        // Nothing is written into a data directory just by serving it.
        assertThat(entries).isEmpty();
      }
    } finally {
      stop(server);
    }
  }

  @Test
  void badArgumentsExitWithAMessage() throws Exception {
    Process missing = launch("--data", workDir.resolve("nowhere").toString());
    assertThat(missing.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(missing.exitValue()).isNotZero();
    assertThat(log()).contains("does not exist");

    Process badPort = launch("--port", "70000");
    assertThat(badPort.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(badPort.exitValue()).isNotZero();
    assertThat(log()).contains("port must be between 0 and 65535");

    Process badSize = launch("--endpoint-size", "lots");
    assertThat(badSize.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(badSize.exitValue()).isEqualTo(2);
    assertThat(log()).contains("is not a size");
  }
}
