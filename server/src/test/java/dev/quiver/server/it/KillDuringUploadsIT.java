package dev.quiver.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.testing.Numbers;
import dev.quiver.server.testing.PutCollector;
import dev.quiver.server.testing.ServerProcess;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the server while uploads run (creates, appends, one upload left open), then a
 * restart on the same data: the staging directory is emptied, every upload that got its final
 * "durable" acknowledgement is there with exactly its content, and every dataset there is complete
 * (an upload cut off leaves nothing, or, if it was published just before the kill, all of it).
 */
class KillDuringUploadsIT {
  private static final int WRITERS = 3;
  private static final int BATCHES = 4;
  private static final int ROWS = 16_384; // 256 KiB batches: 1 MiB per created dataset
  private static final int APPEND_ROWS = 2000; // per append: two batches of 1000

  @TempDir Path workDir;

  @Test
  void afterKillMinus9OnlyCompleteDatasetsRemainAndEveryDurableUploadIsThereExactly() throws Exception {
    Path data = Files.createDirectory(workDir.resolve("data"));
    Map<String, Long> durable = new ConcurrentHashMap<>(); // dataset -> first value, for each durable create
    AtomicInteger durableAppends = new AtomicInteger();
    try (BufferAllocator allocator = new RootAllocator()) {
      TestTables.writeNumbers(allocator, data.resolve("kept.arrow"), 2, 1000, 0);
      ServerProcess server = ServerProcess.start(data, workDir.resolve("first"));
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      ExecutorService clients = Executors.newFixedThreadPool(WRITERS + 1);
      AtomicBoolean stop = new AtomicBoolean();
      try {
        // One upload left open: sent its schema and a batch, and had it stored, but never ends.
        PutCollector stalledAnswer = new PutCollector();
        StreamObserver<Flight.FlightData> stalled =
            org.apache.arrow.flight.impl.FlightServiceGrpc.newStub(channel).doPut(stalledAnswer);
        List<Flight.FlightData> stalledUpload = Numbers.upload(allocator, Numbers.create("stalled"), 2, 1000, 0);
        stalled.onNext(stalledUpload.get(0));
        stalled.onNext(stalledUpload.get(1));
        TestServer.awaitTrue(() -> !stalledAnswer.acks.isEmpty(), "the open upload's first batch to be stored");

        List<Future<?>> running = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          int writer = w;
          running.add(clients.submit(() -> {
            for (int j = 0; !stop.get(); j++) {
              String name = "w" + writer + "-" + j;
              long first = 1_000_000L * (writer * 1000L + j);
              if (Numbers.durable(Numbers.put(channel, Numbers.upload(allocator, Numbers.create(name), BATCHES, ROWS,
                  first)))) {
                durable.put(name, first);
              }
            }
            return null;
          }));
        }
        running.add(clients.submit(() -> {
          for (int k = 0; !stop.get(); k++) {
            // Appends run one after another, so the durable ones are the first durableAppends.
            if (!Numbers.durable(Numbers.put(channel,
                Numbers.upload(allocator, Numbers.append("log"), 2, APPEND_ROWS / 2, (long) k * APPEND_ROWS)))) {
              break;
            }
            durableAppends.incrementAndGet();
          }
          return null;
        }));
        TestServer.awaitTrue(() -> durable.size() >= 4 && durableAppends.get() >= 2, "some uploads to be durable");
        // Best when a writer's upload is staged too, beside the open one (a moment, not a condition).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (stagedFiles(data).size() < 2 && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }

        stop.set(true);
        server.kill(); // in the middle of whatever the clients were doing
        for (Future<?> client : running) {
          client.get(60, TimeUnit.SECONDS); // their last uploads fail: the server is gone
        }
      } finally {
        stop.set(true);
        clients.shutdownNow();
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        server.close();
      }

      try (ServerProcess restarted = ServerProcess.start(data, workDir.resolve("second"));
           FlightClient client = FlightClient.builder(allocator,
               Location.forGrpcInsecure("127.0.0.1", restarted.port())).build()) {
        assertThat(stagedFiles(data)).as("files left in .quiver-uploads after the restart").isEmpty();
        assertThat(restarted.log()).containsPattern("removed \\d+ leftover upload file");

        Map<String, Long> listed = new TreeMap<>();
        for (FlightInfo info : client.listFlights(Criteria.ALL)) {
          listed.put(String.join("/", info.getDescriptor().getPath()), info.getRecords());
        }
        assertThat(listed).as("datasets after the restart").containsKeys(durable.keySet().toArray(String[]::new))
            .containsKeys("kept", "log").doesNotContainKey("stalled");
        for (Map.Entry<String, Long> dataset : listed.entrySet()) {
          String name = dataset.getKey();
          long rows;
          if (name.equals("kept")) {
            rows = Numbers.read(client, name, 0);
            assertThat(rows).isEqualTo(2000);
          } else if (name.equals("log")) {
            // Every durable append, and at most the one in flight at the kill, each whole and in order.
            rows = Numbers.read(client, name, 0);
            assertThat(rows).isIn((long) durableAppends.get() * APPEND_ROWS,
                (long) (durableAppends.get() + 1) * APPEND_ROWS);
          } else {
            // Durable or published just before the kill: complete, with exactly what was sent.
            int writer = Integer.parseInt(name.substring(1, name.indexOf('-')));
            int j = Integer.parseInt(name.substring(name.indexOf('-') + 1));
            long first = 1_000_000L * (writer * 1000L + j);
            rows = Numbers.read(client, name, first);
            assertThat(rows).as(name).isEqualTo((long) BATCHES * ROWS);
            if (durable.containsKey(name)) {
              assertThat(first).isEqualTo(durable.get(name));
            }
          }
          assertThat(dataset.getValue()).as("rows listed for " + name).isEqualTo(rows);
        }
        System.out.printf("kill -9 during uploads: %d durable creates, %d durable appends; after the restart %d"
                + " datasets, %s%n", durable.size(), durableAppends.get(), listed.size(),
            restarted.log().lines().filter(l -> l.contains("leftover")).findFirst().orElse(""));
      }
    }
  }

  private static List<Path> stagedFiles(Path data) throws Exception {
    Path staging = data.resolve(".quiver-uploads");
    if (!Files.isDirectory(staging)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(staging)) {
      return walk.filter(p -> !p.equals(staging)).toList();
    }
  }
}
