package dev.quiver.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.server.testing.TestTables;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The property the design rests on: serving a dataset several times larger than the server's heap
 * neither fails nor grows the server's memory. The server runs as its own process (the shipped jar,
 * {@code -Xmx64m}); we read its anonymous memory from {@code /proc} while a client streams a 384 MiB
 * file through it, and its Arrow allocator's peak from the {@code stats} action. Mapped file pages
 * are page cache (file-backed), so they do not count as anonymous memory.
 */
class LargeDatasetMemoryIT {
  private static final int HEAP_MB = 64;
  private static final int BATCHES = 384; // 1 MiB each: 6x the heap
  private static final int ROWS_PER_BATCH = 65_536;

  @TempDir Path data;

  @Test
  void servingAFileSixTimesTheHeapKeepsServerMemoryFlat() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      TestTables.writeNumbers(allocator, data.resolve("huge.arrow"), BATCHES, ROWS_PER_BATCH);
      TestTables.writeNumbers(allocator, data.resolve("warmup.arrow"), 8, ROWS_PER_BATCH);
    }
    assertThat(Files.size(data.resolve("huge.arrow"))).isGreaterThan(6L * HEAP_MB << 20);

    Path portFile = data.resolve(".port");
    Path log = Files.createTempFile("quiver-memory-it", ".log");
    Process server = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + HEAP_MB + "m",
        "-jar", System.getProperty("quiver.server.jar"),
        "--data", data.toString(), "--host", "127.0.0.1", "--port", "0", "--port-file", portFile.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    try (BufferAllocator clientAllocator = new RootAllocator()) {
      int port = awaitPort(server, portFile, log);
      try (FlightClient client =
          FlightClient.builder(clientAllocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
        // Warm up: Netty's pools, JIT, class loading, so the baseline is the steady state.
        for (int i = 0; i < 3; i++) {
          readAll(client, "warmup");
        }
        long baseline = rssAnonKiB(server.pid());

        AtomicLong peak = new AtomicLong(baseline);
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
          while (sampling.get()) {
            try {
              peak.accumulateAndGet(rssAnonKiB(server.pid()), Math::max);
              Thread.sleep(5);
            } catch (IOException | InterruptedException e) {
              return;
            }
          }
        }, "rss-sampler");
        sampler.start();
        long rows;
        try {
          rows = readAll(client, "huge");
        } finally {
          sampling.set(false);
          sampler.join();
        }
        assertThat(rows).isEqualTo((long) BATCHES * ROWS_PER_BATCH);

        JsonNode stats = new ObjectMapper().readTree(client.doAction(new Action("stats")).next().getBody());
        long growthMiB = (peak.get() - baseline) / 1024;
        System.out.printf("server RssAnon baseline %d MiB, peak %d MiB (+%d MiB) while streaming %d MiB;"
                + " allocator peak %d bytes; stats %s%n",
            baseline / 1024, peak.get() / 1024, growthMiB, (long) BATCHES, stats.get("allocator_peak_bytes").asLong(),
            stats);
        assertThat(stats.get("allocator_peak_bytes").asLong()).as("Arrow allocator peak").isLessThan(16L << 20);
        assertThat(stats.get("body_bytes_copied").asLong()).as("bodies copied instead of sent from the mapping").isZero();
        // Bounded by the heap and a few pooled network buffers, not by the file: a copy of even a quarter
        // of it would break this.
        assertThat(growthMiB).as("anonymous memory growth while streaming 384 MiB").isLessThan(96);
      }
    } finally {
      server.destroy();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  private static long readAll(FlightClient client, String dataset) throws Exception {
    long rows = 0;
    try (FlightStream stream = client.getStream(new Ticket(dataset.getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
    }
    return rows;
  }

  private static int awaitPort(Process server, Path portFile, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(portFile)) {
        return Integer.parseInt(Files.readString(portFile).trim());
      }
      if (!server.isAlive()) {
        throw new AssertionError("server exited with " + server.exitValue() + ":\n" + Files.readString(log));
      }
      Thread.sleep(50);
    }
    throw new AssertionError("server did not start within 30 s:\n" + Files.readString(log));
  }

  /** Anonymous resident memory of a process (heap, metaspace, Netty's direct pools...), in KiB. */
  static long rssAnonKiB(long pid) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
    for (String line : lines) {
      if (line.startsWith("RssAnon:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IOException("no RssAnon in /proc/" + pid + "/status");
  }
}
