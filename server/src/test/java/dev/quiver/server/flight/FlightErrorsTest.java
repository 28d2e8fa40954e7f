package dev.quiver.server.flight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every bad request gets the right Flight status and a message that says what to fix. */
class FlightErrorsTest {
  @TempDir Path data;
  @TempDir Path outside;
  private BufferAllocator writer;

  @BeforeEach
  void writeFiles() throws Exception {
    writer = new RootAllocator();
    TestTables.writeMixed(writer, data.resolve("good.arrow"), 2, 10, false);
    TestTables.writeMixed(writer, outside.resolve("secret.arrow"), 1, 10, false);
    Files.createSymbolicLink(data.resolve("escape.arrow"), outside.resolve("secret.arrow"));
    Files.createSymbolicLink(data.resolve("linked-dir"), outside);
    Files.writeString(data.resolve("garbage.arrow"), "this is a CSV file, really\n1,2,3\n");
    Files.write(data.resolve("empty.arrow"), new byte[0]);
    byte[] good = Files.readAllBytes(data.resolve("good.arrow"));
    Files.write(data.resolve("truncated.arrow"), java.util.Arrays.copyOf(good, good.length - 40));
  }

  @AfterEach
  void closeWriter() {
    writer.close();
  }

  private static void assertStatus(ThrowableAssert.ThrowingCallable call, FlightStatusCode code, String... fragments) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
          assertThat(e.status().code()).isEqualTo(code);
          assertThat(e.getMessage()).contains(fragments);
        });
  }

  private static ThrowableAssert.ThrowingCallable doGet(FlightClient client, String ticket) {
    return () -> FlightReads.read(client, ticket);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "missing                                          | NOT_FOUND        | dataset 'missing' not found",
      "escape                                           | NOT_FOUND        | dataset 'escape' not found",
      "linked-dir/secret                                | NOT_FOUND        | dataset 'linked-dir/secret' not found",
      "../outside/secret                                | INVALID_ARGUMENT | '..' segments are not allowed",
      "/etc/passwd                                      | INVALID_ARGUMENT | must not start with '/'",
      "a//b                                             | INVALID_ARGUMENT | empty path segment",
      "{\"dataset\": 42}                                | INVALID_ARGUMENT | \"dataset\"",
      "{\"dataset\": \"good\", \"colums\": [\"id\"]}    | INVALID_ARGUMENT | unknown key \"colums\"",
      "{\"dataset\": \"good\", \"columns\": [\"nope\"]} | INVALID_ARGUMENT | unknown column 'nope'",
      "{\"dataset\": \"good\", \"columns\": \"id\"}     | INVALID_ARGUMENT | \"columns\" in ticket for dataset 'good' must be an array or null, not string",
      "{\"dataset\": \"good\", \"batches\": [1, 9]}     | INVALID_ARGUMENT | outside dataset 'good', which has 2 batches",
      "{\"dataset\": \"good\", \"batches\": [2, 1]}     | INVALID_ARGUMENT | invalid batch range",
      "{\"dataset\": \"good\"                           | INVALID_ARGUMENT | not valid JSON",
      "garbage                                          | INTERNAL         | dataset 'garbage' cannot be served",
      "empty                                            | INTERNAL         | dataset 'empty' cannot be served",
      "truncated                                        | INTERNAL         | dataset 'truncated' cannot be served",
  })
  void doGetRejectsBadTickets(String ticket, FlightStatusCode code, String fragment) throws Exception {
    try (TestServer server = TestServer.start(data)) {
      assertStatus(doGet(server.client(), ticket), code, fragment);
      // A bad request never affects the others.
      assertThat(FlightReads.read(server.client(), "good").rows()).hasSize(20);
    }
  }

  @Test
  void descriptorsAreValidatedLikeTickets() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      FlightClient client = server.client();
      assertStatus(() -> client.getInfo(FlightDescriptor.path("missing")), FlightStatusCode.NOT_FOUND, "'missing'");
      assertStatus(() -> client.getInfo(FlightDescriptor.path("..", "x")), FlightStatusCode.INVALID_ARGUMENT, "'..'");
      assertStatus(() -> client.getSchema(FlightDescriptor.path("garbage")), FlightStatusCode.INTERNAL,
          "dataset 'garbage' cannot be served", "not a valid Arrow IPC file");
      assertStatus(() -> client.getInfo(FlightDescriptor.command("{\"dataset\":\"good\",\"columns\":[\"x\"]}"
          .getBytes(StandardCharsets.UTF_8))), FlightStatusCode.INVALID_ARGUMENT, "unknown column 'x'");
      assertStatus(() -> client.getInfo(FlightDescriptor.command(new byte[0])), FlightStatusCode.INVALID_ARGUMENT,
          "ticket is empty");
    }
  }

  @Test
  void unknownActionsAreUnimplemented() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      assertStatus(() -> server.client().doAction(new Action("explode")).next(), FlightStatusCode.UNIMPLEMENTED,
          "unknown action 'explode'", "stats");
    }
  }
}
