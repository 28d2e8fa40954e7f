package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.LiveServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.flight.FlightServiceDefinition;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.ipc.ArrowFiles.Table;
import dev.quiver.server.testing.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link QuiverClient#read}: whole datasets, projections, batch ranges, and streams closed early. */
class ReadTest {
  private static final Spec MIXED = Spec.file(6, 200);
  private static final Spec WINDY = Spec.stream(4, 50).replacingDictionaryAt(2);

  @TempDir Path data;
  private LiveServer server;
  private QuiverClient client;

  @BeforeEach
  void start() throws Exception {
    ArrowFiles.write(data.resolve("mixed.arrow"), MIXED);
    ArrowFiles.write(data.resolve("windy.arrows"), WINDY);
    // Small send buffers, so a stream the client stops reading stays open on the server.
    server = LiveServer.start(
        ServerConfig.forTesting(data).withOnReadyThreshold(64 << 10).withWriteBufferBytes(64 << 10));
    client = server.client();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  private static Table readAll(BatchStream stream) {
    List<List<List<Object>>> batches = new ArrayList<>();
    List<String> columns = null;
    while (stream.next()) {
      columns = ArrowFiles.columnNames(stream.root());
      batches.add(ArrowFiles.rows(stream.root(), stream.dictionaries()));
    }
    return new Table(columns, batches);
  }

  @Test
  void readsAWholeDatasetBatchByBatch() {
    try (BatchStream stream = client.read(ReadRequest.of("mixed"))) {
      assertThat(stream.schema()).isEqualTo(ArrowFiles.memorySchema(MIXED));
      assertThat(readAll(stream)).isEqualTo(ArrowFiles.expectedTable(MIXED));
    }
  }

  @Test
  void readsAProjectionInTheOrderAsked() {
    try (BatchStream stream = client.read(ReadRequest.of("mixed").withColumns("category", "id"))) {
      assertThat(stream.schema().getFields()).extracting(Field::getName).containsExactly("category", "id");
      assertThat(readAll(stream)).isEqualTo(ArrowFiles.expectedTable(MIXED).select("category", "id"));
    }
  }

  @Test
  void readsABatchRange() {
    try (BatchStream stream = client.read(ReadRequest.of("mixed").withBatches(2, 5))) {
      assertThat(readAll(stream)).isEqualTo(ArrowFiles.expectedTable(MIXED).batches(2, 5));
    }
  }

  @Test
  void readsAProjectionOfABatchRange() {
    try (BatchStream stream = client.read(ReadRequest.of("mixed").withColumns(List.of("tags", "name"))
        .withBatches(5, 6))) {
      assertThat(readAll(stream)).isEqualTo(ArrowFiles.expectedTable(MIXED).batches(5, 6).select("tags", "name"));
    }
  }

  @Test
  void followsADictionaryReplacedMidStream() {
    try (BatchStream stream = client.read(ReadRequest.of("windy"))) {
      Table table = readAll(stream);
      assertThat(table).isEqualTo(ArrowFiles.expectedTable(WINDY));
      assertThat(table.batches().get(2).get(0).get(ArrowFiles.COLUMNS.indexOf("category")))
          .isEqualTo("north"); // row 100: the replacement's first word
    }
  }

  @Test
  void anEmptyBatchRangeHasTheSchemaAndNoBatches() {
    try (BatchStream stream = client.read(ReadRequest.of("mixed").withBatches(3, 3))) {
      assertThat(stream.next()).isFalse();
      assertThat(stream.schema().findField("id").getType()).isEqualTo(new ArrowType.Int(64, true));
    }
  }

  @Test
  void readErrorsSayWhatIsWrong() {
    assertThatThrownBy(() -> drain(ReadRequest.of("absent"))).isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("absent");
    assertThatThrownBy(() -> drain(ReadRequest.of("mixed").withColumns("id", "no_such_column")))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("no_such_column");
    assertThatThrownBy(() -> drain(ReadRequest.of("mixed").withBatches(4, 9)))
        .isInstanceOf(InvalidRequestException.class);
  }

  private void drain(ReadRequest request) {
    try (BatchStream stream = client.read(request)) {
      while (stream.next()) {
        stream.root();
      }
    }
  }

  @Test
  void closingAStreamEarlyCancelsItOnTheServerAndReleasesEverything() throws Exception {
    // ~30 MB: far more than the server, gRPC and the kernel buffer for a client that stopped reading.
    Spec big = Spec.file(16, 40_000);
    ArrowFiles.write(data.resolve("big.arrow"), big);
    try (BatchStream stream = client.read(ReadRequest.of("big"))) {
      assertThat(stream.next()).isTrue();
      assertThat(stream.root().getRowCount()).isEqualTo(40_000);
      assertThat(FlightServiceDefinition.activeDoGetStreams()).as("the server is still sending").isEqualTo(1);
      assertThat(server.clientAllocator().getAllocatedMemory()).isPositive();
    }
    TestServer.awaitTrue(() -> FlightServiceDefinition.activeDoGetStreams() == 0,
        "the server to end the cancelled stream");
    assertThat(server.clientAllocator().getAllocatedMemory()).as("client memory after close").isZero();
    // The connection stays usable.
    assertThat(client.describe("big").rows()).isEqualTo(big.totalRows());
  }

  @Test
  void aClientOwningItsAllocatorReleasesItOnClose() {
    QuiverClient own = QuiverClient.builder(server.uri()).build();
    try (BatchStream stream = own.read(ReadRequest.of("mixed").withBatches(0, 2))) {
      assertThat(stream.next()).isTrue();
    }
    own.close(); // closes the client's RootAllocator, which throws if a buffer leaked
    assertThat(own.target()).isEqualTo(server.uri());
  }
}
