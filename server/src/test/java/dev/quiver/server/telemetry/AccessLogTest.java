package dev.quiver.server.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.quiver.server.config.CallLimits;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** The access log: one event per Flight call on {@code quiver.access}, with its fields as key/value pairs and in the text. */
class AccessLogTest {
  private static final String PEER = "127\\.0\\.0\\.1:\\d+";

  @TempDir Path data;
  private Logger logger;
  private ListAppender<ILoggingEvent> appender;

  /** One access-log event: its key/value pairs and its message. */
  record Line(Map<String, Object> fields, String message, Level level) {
    Object get(String key) {
      return fields.get(key);
    }
  }

  @BeforeEach
  void attach() {
    logger = (Logger) LoggerFactory.getLogger(CallTelemetry.ACCESS_LOGGER);
    appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
  }

  @AfterEach
  void detach() {
    logger.detachAppender(appender);
  }

  private List<Line> lines() {
    synchronized (appender) {
      return appender.list.stream().map(event -> {
        Map<String, Object> fields = new LinkedHashMap<>();
        if (event.getKeyValuePairs() != null) {
          for (KeyValuePair pair : event.getKeyValuePairs()) {
            fields.put(pair.key, pair.value);
          }
        }
        return new Line(fields, event.getFormattedMessage(), event.getLevel());
      }).toList();
    }
  }

  /** Waits for {@code count} lines (a call's line is written as it ends, just after the client has its status). */
  private List<Line> awaitLines(int count) {
    TestServer.awaitTrue(() -> lines().size() >= count, count + " access-log lines");
    try {
      Thread.sleep(100); // and no more
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<Line> lines = lines();
    assertThat(lines).as("access-log lines").hasSize(count);
    return lines;
  }

  private static Line find(List<Line> lines, Predicate<Line> which) {
    return lines.stream().filter(which).findFirst().orElseThrow(() -> new AssertionError("no such line in " + lines));
  }

  private static Predicate<Line> call(String method, String status) {
    return line -> method.equals(line.get("method")) && status.equals(line.get("status"));
  }

  @Test
  void everyCallWritesOneLineWithItsFields() throws Exception {
    ArrowFiles.write(data.resolve("mixed.arrow"), ArrowFiles.Spec.file(3, 50));
    try (TestServer server = TestServer.start(data);
         RawFlight raw = new RawFlight(server.server().port());
         BufferAllocator allocator = new RootAllocator()) {
      RawFlight.Moved got = raw.doGet("mixed");
      assertThatThrownBy(() -> raw.doGet("missing")).isInstanceOf(StatusRuntimeException.class);
      raw.doAction("stats", "");
      RawFlight.Outcome put = raw.doPut(ArrowFiles.bytes(allocator, ArrowFiles.Spec.stream(2, 20)), "up", "loaded");
      assertThat(put.status().isOk()).as(put.status().toString()).isTrue();
      assertThat(server.client().getInfo(FlightDescriptor.path("mixed")).getRecords()).isEqualTo(150);

      List<Line> lines = awaitLines(5);
      for (Line line : lines) {
        assertThat(line.level()).isEqualTo(Level.INFO);
        assertThat(line.fields()).containsKeys("peer", "principal", "method", "dataset", "rows", "batches", "bytes",
            "duration_ms", "status");
        assertThat((String) line.get("peer")).matches(PEER);
        assertThat(line.get("principal")).isEqualTo("anonymous");
        assertThat((double) line.get("duration_ms")).isGreaterThanOrEqualTo(0.0);
        // The text form carries the same fields, for the human-readable log.
        assertThat(line.message()).matches("peer=" + PEER + " principal=anonymous method=\\w+ .* status=[A-Z_]+.*");
      }

      Line get = find(lines, call("DoGet", "OK"));
      assertThat(get.fields()).containsEntry("dataset", "mixed").containsEntry("rows", 150L)
          .containsEntry("batches", 3L).containsEntry("bytes", got.bytes()).doesNotContainKey("error");
      assertThat(get.message()).contains(" method=DoGet dataset=mixed rows=150 batches=3 bytes=" + got.bytes()
          + " duration_ms=").endsWith(" status=OK");

      Line missing = find(lines, call("DoGet", "NOT_FOUND"));
      assertThat(missing.fields()).containsEntry("dataset", "missing").containsEntry("rows", 0L)
          .containsEntry("bytes", 0L);
      assertThat((String) missing.get("error")).contains("missing");
      assertThat(missing.message()).contains(" status=NOT_FOUND error=\"");

      Line stats = find(lines, call("DoAction", "OK"));
      assertThat(stats.fields()).containsEntry("action", "stats").containsEntry("dataset", "-");
      assertThat(stats.message()).contains(" method=DoAction action=stats dataset=- ");

      Line upload = find(lines, call("DoPut", "OK"));
      assertThat(upload.fields()).containsEntry("dataset", "up/loaded").containsEntry("rows", 40L)
          .containsEntry("batches", 2L).containsEntry("bytes", put.moved().bytes());

      Line info = find(lines, call("GetFlightInfo", "OK"));
      assertThat(info.fields()).containsEntry("dataset", "mixed").containsEntry("rows", 0L);
    }
  }

  @Test
  void refusedAndCancelledCallsAreLoggedToo() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      TestTables.writeNumbers(allocator, data.resolve("big.arrow"), 24, 65_536);
    }
    ServerConfig config = ServerConfig.forTesting(data).withLimits(
        new CallLimits(1, 1, Duration.ofMinutes(1), Integer.MAX_VALUE));
    try (TestServer server = TestServer.start(config);
         RawFlight raw = new RawFlight(server.server().port())) {
      try (FlightStream stream = server.client().getStream(new Ticket("big".getBytes(StandardCharsets.UTF_8)))) {
        assertThat(stream.next()).isTrue();
        // The one stream allowed is open (paused: the client is not reading): a second is refused.
        assertThatThrownBy(() -> raw.doGet("big")).isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        stream.cancel("enough", null);
      }
      List<Line> lines = awaitLines(2);
      Line refused = find(lines, call("DoGet", "RESOURCE_EXHAUSTED"));
      assertThat(refused.fields()).containsEntry("dataset", "-").containsEntry("bytes", 0L);
      assertThat((String) refused.get("error")).isNotEmpty();
      Line cancelled = find(lines, call("DoGet", "CANCELLED"));
      assertThat(cancelled.fields()).containsEntry("dataset", "big");
      assertThat((long) cancelled.get("rows")).isPositive().isLessThan(24L * 65_536);
      assertThat((long) cancelled.get("bytes")).isPositive();
    }
  }

  @Test
  void textValuesAreQuotedWhenTheyNeedIt() {
    StringBuilder line = new StringBuilder();
    CallTelemetry.field(line, "dataset", "sales/2024");
    CallTelemetry.field(line, "error", "dataset 'x' \"not\" found\n\\");
    CallTelemetry.field(line, "empty", "");
    CallTelemetry.field(line, "eq", "a=b");
    assertThat(line.toString())
        .isEqualTo("dataset=sales/2024 error=\"dataset 'x' \\\"not\\\" found\\n\\\\\" empty=\"\" eq=\"a=b\"");
  }
}
