package dev.quiver.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.server.ipc.ArrowFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar's logs: with {@code --log-format json} (or QUIVER_LOG_FORMAT=json) every line on
 * stderr is one JSON object, the access log's among them with its fields; by default they are text
 * lines with no JSON. Nothing is written to stdout (no logback status dump). The metrics endpoint
 * of the jar answers too.
 */
class LogFormatIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TEXT_LINE = Pattern.compile(
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) (TRACE|DEBUG|INFO |WARN |ERROR) \\[.*");

  @TempDir Path workDir;

  private record Run(String stdout, String stderr) {}

  /** Starts the jar over a data directory holding {@code mixed}, runs {@code calls} against it, then stops it (SIGTERM). */
  private Run run(Map<String, String> environment, List<String> args, Calls calls) throws Exception {
    Path data = Files.createDirectories(workDir.resolve("data"));
    ArrowFiles.write(data.resolve("mixed.arrow"), ArrowFiles.Spec.file(3, 50));
    Path portFile = workDir.resolve("port");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // Otherwise JDK 24+ prints its own (non-JSON) warning on stderr when Netty first uses sun.misc.Unsafe.
        "--sun-misc-unsafe-memory-access=allow", "-jar",
        System.getProperty("quiver.server.jar"), "--data", data.toString(), "--host", "127.0.0.1", "--port", "0",
        "--port-file", portFile.toString()));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
        .redirectOutput(workDir.resolve("stdout.log").toFile())
        .redirectError(workDir.resolve("stderr.log").toFile());
    builder.environment().remove("QUIVER_LOG_FORMAT");
    builder.environment().putAll(environment);
    Process process = builder.start();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!Files.exists(portFile) || Files.readString(portFile).isBlank()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("server did not start:\n" + Files.readString(workDir.resolve("stderr.log")));
        }
        Thread.sleep(50);
      }
      int port = Integer.parseInt(Files.readString(portFile).trim());
      try (BufferAllocator allocator = new RootAllocator();
           FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
        calls.run(client);
      }
    } finally {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("server did not stop on SIGTERM");
      }
    }
    return new Run(Files.readString(workDir.resolve("stdout.log"), StandardCharsets.UTF_8),
        Files.readString(workDir.resolve("stderr.log"), StandardCharsets.UTF_8));
  }

  private interface Calls {
    void run(FlightClient client) throws Exception;
  }

  /** A DoGet of {@code mixed} read to the end, and a GetFlightInfo of a dataset that does not exist. */
  private static void someCalls(FlightClient client) throws Exception {
    long rows = 0;
    try (FlightStream stream = client.getStream(new Ticket("mixed".getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
    }
    assertThat(rows).isEqualTo(150);
    assertThatThrownBy(() -> client.getInfo(FlightDescriptor.path("missing"))).isInstanceOf(FlightRuntimeException.class);
  }

  private static Map<String, String> kvps(JsonNode line) {
    Map<String, String> out = new HashMap<>();
    for (JsonNode pair : line.path("kvpList")) {
      pair.properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
    }
    return out;
  }

  private static List<JsonNode> parseEveryLine(String stderr) {
    List<JsonNode> lines = new ArrayList<>();
    for (String text : stderr.split("\n")) {
      try {
        JsonNode line = JSON.readTree(text);
        assertThat(line.isObject()).as(text).isTrue();
        lines.add(line);
      } catch (Exception e) {
        throw new AssertionError("not a JSON object: " + text + "\n--- whole log ---\n" + stderr, e);
      }
    }
    return lines;
  }

  private static List<Map<String, String>> accessLines(List<JsonNode> lines) {
    return lines.stream().filter(l -> l.path("loggerName").asText().equals("quiver.access")).map(LogFormatIT::kvps)
        .toList();
  }

  @Test
  void jsonModeWritesOneObjectALineWithTheAccessLogFields() throws Exception {
    String[] metricsUrl = new String[1];
    Run run = run(Map.of(), List.of("--log-format", "json", "--metrics-port", "0"), client -> {
      someCalls(client);
      // The endpoint's address is in the log; its counters show the calls.
      Pattern endpoint = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)");
      for (JsonNode line : parseEveryLine(Files.readString(workDir.resolve("stderr.log")))) {
        Matcher m = endpoint.matcher(line.path("formattedMessage").asText());
        if (m.matches()) {
          metricsUrl[0] = m.group(1);
        }
      }
      assertThat(metricsUrl[0]).as("the 'metrics on' line").isNotNull();
      HttpClient http = HttpClient.newHttpClient();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      String body;
      do {
        body = http.send(HttpRequest.newBuilder(URI.create(metricsUrl[0])).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } while (!body.contains("quiver_calls_total{method=\"GetFlightInfo\",status=\"NOT_FOUND\"} 1")
          && System.nanoTime() < deadline);
      assertThat(body).contains("quiver_calls_total{method=\"DoGet\",status=\"OK\"} 1",
          "quiver_calls_total{method=\"GetFlightInfo\",status=\"NOT_FOUND\"} 1", "quiver_sent_rows_total 150",
          "jvm_memory_used_bytes{");
    });
    assertThat(run.stdout()).isEmpty();
    List<JsonNode> lines = parseEveryLine(run.stderr());
    assertThat(lines).allSatisfy(line -> {
      assertThat(line.path("timestamp").isNumber()).isTrue();
      assertThat(line.path("level").asText()).isIn("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
      assertThat(line.path("loggerName").asText()).isNotEmpty();
      assertThat(line.has("formattedMessage")).isTrue();
    });
    assertThat(lines).anySatisfy(line ->
        assertThat(line.path("formattedMessage").asText()).startsWith("Quiver listening on grpc+tcp://127.0.0.1:"));

    List<Map<String, String>> access = accessLines(lines);
    assertThat(access).hasSize(2);
    Map<String, String> get = access.stream().filter(a -> a.get("method").equals("DoGet")).findFirst().orElseThrow();
    assertThat(get).containsEntry("principal", "anonymous").containsEntry("dataset", "mixed")
        .containsEntry("rows", "150").containsEntry("batches", "3").containsEntry("status", "OK")
        .containsKeys("peer", "bytes", "duration_ms");
    assertThat(get.get("peer")).matches("127\\.0\\.0\\.1:\\d+");
    assertThat(Long.parseLong(get.get("bytes"))).isGreaterThan(0);
    assertThat(Double.parseDouble(get.get("duration_ms"))).isGreaterThanOrEqualTo(0);
    Map<String, String> info = access.stream().filter(a -> a.get("method").equals("GetFlightInfo")).findFirst()
        .orElseThrow();
    assertThat(info).containsEntry("dataset", "missing").containsEntry("status", "NOT_FOUND").containsKey("error");
  }

  @Test
  void theEnvironmentCanAskForJsonToo() throws Exception {
    Run run = run(Map.of("QUIVER_LOG_FORMAT", "json"), List.of(), LogFormatIT::someCalls);
    assertThat(accessLines(parseEveryLine(run.stderr()))).hasSize(2);
  }

  @Test
  void textModeIsReadableLinesWithoutJson() throws Exception {
    Run run = run(Map.of(), List.of(), LogFormatIT::someCalls);
    assertThat(run.stdout()).isEmpty();
    List<String> lines = run.stderr().lines().toList();
    assertThat(lines).isNotEmpty().allSatisfy(line -> {
      assertThat(line).doesNotStartWith("{");
      assertThat(line).matches(TEXT_LINE);
    });
    assertThat(lines).filteredOn(line -> line.contains(" quiver.access - ")).hasSize(2)
        .anySatisfy(line -> assertThat(line).matches(".* quiver\\.access - peer=127\\.0\\.0\\.1:\\d+ principal=anonymous"
            + " method=DoGet dataset=mixed rows=150 batches=3 bytes=\\d+ duration_ms=\\d+\\.\\d{3} status=OK"))
        .anySatisfy(line -> assertThat(line).matches(".* method=GetFlightInfo dataset=missing .* status=NOT_FOUND"
            + " error=\".*missing.*\""));
  }
}
