package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.protocol.ProtocolSchema;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ListFlights, GetFlightInfo, GetSchema and actions over a real server. */
class ControlPlaneTest {
  @TempDir Path data;
  private BufferAllocator writer;

  @BeforeEach
  void writeFiles() throws Exception {
    writer = new RootAllocator();
    TestTables.writeMixed(writer, data.resolve("sales/2024.arrow"), 3, 100, false);
    TestTables.writeMixed(writer, data.resolve("sales/2025.feather"), 2, 100, false);
    TestTables.writeMixed(writer, data.resolve("events.arrows"), 4, 50, true);
    TestTables.writeMixed(writer, data.resolve("raw-without-extension"), 1, 10, false);
    Files.writeString(data.resolve("notes.txt"), "not a dataset");
    Files.writeString(data.resolve("broken.arrow"), "definitely not Arrow");
    TestTables.writeMixed(writer, data.resolve(".hidden/secret.arrow"), 1, 10, false);
  }

  @AfterEach
  void closeWriter() {
    writer.close();
  }

  private static List<String> names(Iterable<FlightInfo> infos) {
    List<String> names = new ArrayList<>();
    for (FlightInfo info : infos) {
      names.add(String.join("/", info.getDescriptor().getPath()));
    }
    return names;
  }

  @Test
  void listsEveryServableDatasetSortedAndSkipsTheRest() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      assertThat(names(server.client().listFlights(Criteria.ALL)))
          .containsExactly("events", "raw-without-extension", "sales/2024", "sales/2025");
    }
  }

  @Test
  void criteriaFilterByPrefixOrGlob() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      assertThat(names(server.client().listFlights(criteria("sales/")))).containsExactly("sales/2024", "sales/2025");
      assertThat(names(server.client().listFlights(criteria("*/2025")))).containsExactly("sales/2025");
      assertThat(names(server.client().listFlights(criteria("e*")))).containsExactly("events");
      assertThat(names(server.client().listFlights(criteria("**")))).hasSize(4);
    }
  }

  private static Criteria criteria(String text) {
    return new Criteria(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void flightInfoCarriesSchemaTotalsAndATicketPerEndpoint() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightInfo info = server.client().getInfo(FlightDescriptor.path("sales", "2024"));
      assertThat(info.getSchemaOptional()).contains(TestTables.mixedSchemaOnWire());
      assertThat(info.getRecords()).isEqualTo(300);
      assertThat(info.getBytes()).isPositive();
      assertThat(info.getOrdered()).isTrue();
      assertThat(info.getEndpoints()).hasSize(1);
      assertThat(new String(info.getEndpoints().get(0).getTicket().getBytes(), StandardCharsets.UTF_8))
          .isEqualTo("{\"dataset\":\"sales/2024\",\"batches\":[0,3]}");
      // One segment with a '/' names the same dataset.
      assertThat(server.client().getInfo(FlightDescriptor.path("sales/2024")).getRecords()).isEqualTo(300);
    }
  }

  @Test
  void commandDescriptorsDescribeAProjection() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightDescriptor command = FlightDescriptor.command(
          "{\"dataset\":\"events\",\"columns\":[\"name\",\"id\"],\"batches\":[1,3]}".getBytes(StandardCharsets.UTF_8));
      FlightInfo info = server.client().getInfo(command);
      assertThat(info.getSchemaOptional().orElseThrow().getFields()).extracting(Field::getName)
          .containsExactly("name", "id");
      assertThat(info.getRecords()).isEqualTo(100);
      FlightReads.Result rows = FlightReads.read(server.client(), info.getEndpoints().get(0).getTicket());
      assertThat(rows.rows()).isEqualTo(FlightReads.mixedRows(50, 100, 1, 0));

      SchemaResult schema = server.client().getSchema(command);
      assertThat(schema.getSchema()).isEqualTo(info.getSchemaOptional().orElseThrow());
    }
  }

  @Test
  void changesOnDiskAreSeenWithoutRestart() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      assertThat(server.client().getInfo(FlightDescriptor.path("events")).getRecords()).isEqualTo(200);
      Path replacement = data.resolve(".events.new");
      TestTables.writeMixed(writer, replacement, 1, 7, true);
      Files.move(replacement, data.resolve("events.arrows"), StandardCopyOption.ATOMIC_MOVE);
      assertThat(server.client().getInfo(FlightDescriptor.path("events")).getRecords()).isEqualTo(7);

      TestTables.writeMixed(writer, data.resolve("new/one.ipc"), 1, 5, false);
      assertThat(names(server.client().listFlights(Criteria.ALL))).contains("new/one");

      Files.delete(data.resolve("new/one.ipc"));
      assertThat(names(server.client().listFlights(Criteria.ALL))).doesNotContain("new/one");
    }
  }

  @Test
  void statsActionReportsWhatTheServerHolds() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      // A JVM-wide counter: TLS streams of other tests in this JVM copy their bodies.
      long copiedBefore = FrameInputStream.copiedBytes();
      FlightReads.read(server.client(), "events");
      server.awaitQuiet();
      List<ActionType> actions = new ArrayList<>();
      server.client().listActions().forEach(actions::add);
      assertThat(actions).extracting(ActionType::getType).contains("stats");

      Iterator<Result> results = server.client().doAction(new Action("stats"));
      JsonNode stats = new ObjectMapper().readTree(results.next().getBody());
      assertThat(results.hasNext()).isFalse();
      assertThat(stats.get("doget_streams_active").asInt()).isZero();
      assertThat(stats.get("body_bytes_in_flight").asLong()).isZero();
      assertThat(stats.get("mapped_files").asInt()).isPositive();
      assertThat(stats.get("allocator_peak_bytes").asLong()).isZero();
      assertThat(stats.get("body_bytes_copied").asLong()).as("bytes copied by this plaintext read")
          .isEqualTo(copiedBefore);
    }
  }

  @Test
  void everyActionHasSchemasAndItsResultsMatchThem() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      List<String> types = new ArrayList<>();
      server.client().listActions().forEach(type -> types.add(type.getType()));
      for (String type : types) {
        // Throws if proto-docs/schemas lacks the action: the reference must cover every action.
        ProtocolSchema.valueOf(type.toUpperCase(Locale.ROOT) + "_REQUEST");
      }
      assertThat(types).containsExactly("describe", "delete", "rename", "refresh", "stats");

      assertConforms(server, "describe", "{\"dataset\": \"events\"}", ProtocolSchema.DESCRIBE_RESULT);
      assertConforms(server, "describe", "sales/2024", ProtocolSchema.DESCRIBE_RESULT);
      assertConforms(server, "rename", "{\"from\": \"sales/2025\", \"to\": \"sales/old\"}", ProtocolSchema.RENAME_RESULT);
      assertConforms(server, "delete", "{\"dataset\": \"sales/old\"}", ProtocolSchema.DELETE_RESULT);
      assertConforms(server, "refresh", "", ProtocolSchema.REFRESH_RESULT);
      assertConforms(server, "stats", "{}", ProtocolSchema.STATS_RESULT);
    }
  }

  private static void assertConforms(TestServer server, String type, String body, ProtocolSchema schema) throws Exception {
    Iterator<Result> results = server.client().doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    JsonNode result = new ObjectMapper().readTree(results.next().getBody());
    assertThat(results.hasNext()).isFalse();
    assertThat(schema.violations(result)).as(type + " -> " + result).isEmpty();
  }
}
