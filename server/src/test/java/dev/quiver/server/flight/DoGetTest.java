package dev.quiver.server.flight;

import static dev.quiver.server.flight.FlightReads.mixedRows;
import static dev.quiver.server.flight.FlightReads.read;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** DoGet against a real server with arrow-java's FlightClient: what comes back equals what is on disk. */
class DoGetTest {
  private static final int BATCHES = 6;
  private static final int ROWS = 500;

  @TempDir Path data;
  private BufferAllocator writer;

  @BeforeEach
  void writeFiles() throws Exception {
    writer = new RootAllocator();
    TestTables.writeMixed(writer, data.resolve("mixed.arrow"), BATCHES, ROWS, false);
    TestTables.writeMixed(writer, data.resolve("nested/dir/streamed.arrows"), BATCHES, ROWS, true);
  }

  @AfterEach
  void closeWriter() {
    assertThat(writer.getAllocatedMemory()).isZero();
    writer.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"mixed", "nested/dir/streamed", "{\"dataset\": \"mixed\"}"})
  void wholeDatasetEqualsTheFile(String ticket) throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightReads.Result result = read(server.client(), ticket);
      assertThat(result.schema()).isEqualTo(TestTables.mixedSchema());
      assertThat(result.batches()).isEqualTo(BATCHES);
      assertThat(result.rows()).isEqualTo(mixedRows(0, BATCHES * ROWS));
    }
  }

  @Test
  void projectionReturnsTheChosenColumnsInTheAskedOrder() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      for (String dataset : List.of("mixed", "nested/dir/streamed")) {
        FlightReads.Result result =
            read(server.client(), "{\"dataset\":\"" + dataset + "\",\"columns\":[\"category\",\"tags\",\"id\"]}");
        assertThat(result.schema().getFields()).extracting(Field::getName).containsExactly("category", "tags", "id");
        assertThat(result.schema().getFields().get(0).getDictionary().getId())
            .isEqualTo(TestTables.CATEGORY_DICTIONARY_ID);
        assertThat(result.rows()).isEqualTo(mixedRows(0, BATCHES * ROWS, 4, 3, 0));
      }
    }
  }

  @Test
  void projectionWithoutDictionaryColumnsSendsNoDictionaries() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightReads.Result result = read(server.client(), "{\"dataset\":\"mixed\",\"columns\":[\"score\",\"name\"]}");
      assertThat(result.schema().getFields()).extracting(Field::getName).containsExactly("score", "name");
      assertThat(result.rows()).isEqualTo(mixedRows(0, BATCHES * ROWS, 2, 1));
    }
  }

  @Test
  void batchRangesReturnExactlyThoseBatches() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightReads.Result middle = read(server.client(), "{\"dataset\":\"nested/dir/streamed\",\"batches\":[2,5]}");
      assertThat(middle.batches()).isEqualTo(3);
      assertThat(middle.rows()).isEqualTo(mixedRows(2L * ROWS, 3L * ROWS));

      FlightReads.Result empty = read(server.client(), "{\"dataset\":\"mixed\",\"batches\":[3,3]}");
      assertThat(empty.rows()).isEmpty();
      assertThat(empty.schema()).isEqualTo(TestTables.mixedSchema());

      FlightReads.Result both =
          read(server.client(), "{\"dataset\":\"mixed\",\"columns\":[\"name\"],\"batches\":[5,6]}");
      assertThat(both.rows()).isEqualTo(mixedRows(5L * ROWS, ROWS, 1));
    }
  }

  @Test
  void endpointsSplitLargeDatasetsAndTogetherReturnEverything() throws Exception {
    ServerConfig config = ServerConfig.forTesting(data).withEndpointTargetBytes(20_000);
    try (TestServer server = TestServer.start(config)) {
      FlightInfo info = server.client().getInfo(FlightDescriptor.path("mixed"));
      assertThat(info.getEndpoints()).hasSizeGreaterThan(1);
      assertThat(info.getRecords()).isEqualTo((long) BATCHES * ROWS);
      List<List<Object>> rows = new ArrayList<>();
      for (FlightEndpoint endpoint : info.getEndpoints()) {
        assertThat(endpoint.getLocations()).isEmpty();
        rows.addAll(read(server.client(), endpoint.getTicket()).rows());
      }
      assertThat(rows).isEqualTo(mixedRows(0, BATCHES * ROWS));
    }
  }

  @Test
  void concurrentReadersAllGetTheWholeDataset() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        List<Future<FlightReads.Result>> reads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          String ticket = i % 2 == 0 ? "mixed" : "nested/dir/streamed";
          reads.add(pool.submit(() -> read(server.client(), ticket)));
        }
        for (Future<FlightReads.Result> r : reads) {
          assertThat(r.get().rows()).isEqualTo(mixedRows(0, BATCHES * ROWS));
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void bodiesGoToTheNetworkWithoutBeingCopied() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      long copiedBefore = FrameInputStream.copiedBytes();
      long zeroCopyBefore = FrameInputStream.zeroCopyBytes();
      read(server.client(), "mixed");
      read(server.client(), "{\"dataset\":\"mixed\",\"columns\":[\"tags\"]}");
      assertThat(FrameInputStream.zeroCopyBytes()).isGreaterThan(zeroCopyBefore);
      assertThat(FrameInputStream.copiedBytes()).isEqualTo(copiedBefore);
      assertThat(server.server().allocator().getPeakMemoryAllocation()).isZero();
    }
  }
}
