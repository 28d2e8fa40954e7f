package dev.quiver.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.command.HealthStateLog;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ContainerConfig;
import dev.quiver.client.DatasetInfo;
import dev.quiver.client.DownloadOptions;
import dev.quiver.client.QuiverClient;
import dev.quiver.client.UploadOptions;
import dev.quiver.client.UploadResult;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The image as users run it: one container serving a mounted host directory, used from the Java
 * client and from pyarrow on this machine; uploads land in the mounted directory as IPC files; the
 * image's health check, metrics port and JSON logs work.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerIT {
  private static final Spec SALES = Spec.file(3, 500);
  private static final Spec EVENTS = Spec.stream(2, 100);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path data;
  @TempDir static Path local;
  private static GenericContainer<?> quiver;
  private static QuiverClient client;

  @BeforeAll
  static void start() throws IOException {
    Files.createDirectories(data.resolve("sales"));
    ArrowFiles.write(data.resolve("sales/2024.arrow"), SALES);
    ArrowFiles.write(data.resolve("events.arrows"), EVENTS);
    quiver = QuiverImage.container(data);
    quiver.start();
    client = QuiverClient.builder(QuiverImage.uri(quiver)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (quiver != null) {
      quiver.stop();
    }
  }

  @Test
  void theImageIsBuiltForContainers() throws Exception {
    InspectImageResponse image = QuiverImage.docker().inspectImageCmd(QuiverImage.name()).exec();
    ContainerConfig config = image.getConfig();
    assertThat(config.getUser()).isEqualTo("10001:10001");
    assertThat(config.getExposedPorts()).extracting(Object::toString).contains("8815/tcp", "9464/tcp");
    assertThat(config.getVolumes()).containsKey("/data");
    assertThat(config.getEntrypoint()).contains("-XX:MaxRAMPercentage=50", "-XX:+ExitOnOutOfMemoryError",
        "--sun-misc-unsafe-memory-access=allow");
    assertThat(config.getEnv()).contains("QUIVER_DATA=/data", "QUIVER_PORT=8815", "QUIVER_METRICS_PORT=9464");
    assertThat(config.getLabels()).containsKeys("org.opencontainers.image.title", "org.opencontainers.image.version",
        "org.opencontainers.image.revision", "org.opencontainers.image.base.name");
    assertThat(config.getHealthcheck().getTest()).contains("health-check");
    assertThat(config.getHealthcheck().getInterval()).isEqualTo(TimeUnit.SECONDS.toNanos(30));
    // Not root inside: the image's user, or (bind mount, not root here) the user of this machine.
    String uid = quiver.execInContainer("id", "-u").getStdout().strip();
    if (QuiverImage.asImageUser(data)) {
      assertThat(uid).isEqualTo(Integer.toString(QuiverImage.IMAGE_UID));
    } else {
      assertThat(uid).isNotEqualTo("0");
    }
  }

  @Test
  void listsTheMountedDatasets() {
    List<DatasetInfo> datasets = client.list(null);
    assertThat(datasets).extracting(DatasetInfo::name).contains("sales/2024", "events");
    assertThat(datasets).filteredOn(d -> d.name().equals("sales/2024")).singleElement()
        .satisfies(d -> assertThat(d.rows()).isEqualTo(1500));
    assertThat(client.list("sales/*")).extracting(DatasetInfo::name).containsExactly("sales/2024");
  }

  @Test
  void readsADataset() throws IOException {
    Path out = local.resolve("sales.arrow");
    client.download("sales/2024", out, DownloadOptions.defaults().withParallelism(2));
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(SALES))
        .isEqualTo(ArrowFiles.read(data.resolve("sales/2024.arrow")));
    Path events = local.resolve("events.arrow");
    client.download("events", events, DownloadOptions.defaults());
    assertThat(ArrowFiles.read(events)).isEqualTo(ArrowFiles.expectedTable(EVENTS));
  }

  @Test
  void anUploadIsAnIpcFileInTheMountedDirectory() throws IOException {
    Spec spec = Spec.stream(4, 250);
    Path file = ArrowFiles.write(local.resolve("upload.arrows"), spec);
    UploadResult result = client.upload(file, "uploads/from-java", UploadOptions.defaults());
    assertThat(result.rows()).isEqualTo(1000);

    Path stored = data.resolve("uploads/from-java.arrow");
    assertThat(stored).isRegularFile();
    assertThat(ArrowFiles.isFileFormat(stored)).as("stored in the IPC file format").isTrue();
    assertThat(ArrowFiles.read(stored)).isEqualTo(ArrowFiles.expectedTable(spec)); // ArrowFileReader
    if (QuiverImage.asImageUser(data)) {
      assertThat(Files.getAttribute(stored, "unix:uid")).isEqualTo(QuiverImage.IMAGE_UID);
    }
    assertThat(client.list("uploads/")).extracting(DatasetInfo::name).containsExactly("uploads/from-java");
  }

  @Test
  void pyarrowOnThisMachineListsReadsAndUploads() throws Exception {
    String script = """
        import json, sys
        import pyarrow as pa
        import pyarrow.flight as flight

        client = flight.connect(sys.argv[1])
        listed = sorted("/".join(p.decode() for p in info.descriptor.path) for info in client.list_flights())
        sales = client.do_get(flight.Ticket(b"sales/2024")).read_all()
        ticket = json.dumps({"dataset": "sales/2024", "columns": ["id"], "batches": [1, 2]}).encode()
        part = client.do_get(flight.Ticket(ticket)).read_all()
        table = pa.table({"city": ["Oslo", "Lima", "Pune"], "fare": [12.5, 7.25, 3.0]})
        writer, _ = client.do_put(flight.FlightDescriptor.for_path("python", "trips"), table.schema)
        writer.write_table(table)
        writer.close()
        back = client.do_get(flight.Ticket(b"python/trips")).read_all()
        print(json.dumps({"listed": listed, "sales_rows": sales.num_rows, "columns": sales.column_names,
                          "part": part.column("id").to_pylist()[:3], "part_rows": part.num_rows,
                          "back": back.to_pydict()}))
        """;
    Process process = new ProcessBuilder(QuiverImage.python().toString(), "-c", script, QuiverImage.uri(quiver))
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    String[] lines = output.strip().split("\n");
    JsonNode result = JSON.readTree(lines[lines.length - 1]);

    List<String> listed = new ArrayList<>();
    result.get("listed").forEach(n -> listed.add(n.asText()));
    assertThat(listed).contains("sales/2024", "events");
    assertThat(result.get("sales_rows").asInt()).isEqualTo(1500);
    assertThat(result.get("columns")).extracting(JsonNode::asText).containsExactlyElementsOf(ArrowFiles.COLUMNS);
    assertThat(result.get("part_rows").asInt()).isEqualTo(500);
    assertThat(result.get("part")).extracting(JsonNode::asLong).containsExactlyElementsOf(
        ArrowFiles.expectedBatch(SALES, 1).subList(0, 3).stream().map(row -> ((Number) row.get(0)).longValue()).toList());
    assertThat(result.get("back").get("city")).extracting(JsonNode::asText).containsExactly("Oslo", "Lima", "Pune");

    Path stored = data.resolve("python/trips.arrow");
    assertThat(stored).isRegularFile();
    ArrowFiles.Table table = ArrowFiles.read(stored);
    assertThat(table.columns()).containsExactly("city", "fare");
    assertThat(table.batches().stream().flatMap(List::stream).toList())
        .containsExactly(List.of("Oslo", 12.5), List.of("Lima", 7.25), List.of("Pune", 3.0));
  }

  @Test
  void theHealthCheckSaysHealthyAndTheHealthServiceAnswersFromOutside() throws Exception {
    // The container was started only once the image's HEALTHCHECK command reported healthy.
    InspectContainerResponse.ContainerState state =
        QuiverImage.docker().inspectContainerCmd(quiver.getContainerId()).exec().getState();
    assertThat(state.getHealth().getStatus()).isEqualTo("healthy");
    HealthStateLog last = state.getHealth().getLog().get(state.getHealth().getLog().size() - 1);
    assertThat(last.getExitCodeLong()).isZero();
    assertThat(last.getOutput()).contains("SERVING");
    assertThat(QuiverImage.healthCheckCommand()).containsSubsequence("-jar", "/opt/quiver/quiver-server.jar",
        "health-check");

    ManagedChannel channel = NettyChannelBuilder.forAddress(quiver.getHost(), quiver.getMappedPort(QuiverImage.FLIGHT_PORT))
        .usePlaintext().build();
    try {
      for (String service : new String[] {"", "arrow.flight.protocol.FlightService"}) {
        assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
            .isEqualTo(ServingStatus.SERVING);
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void metricsAreOnTheirPortAndLogsAreJsonLines() throws Exception {
    client.list(null);
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(
          "http://" + quiver.getHost() + ":" + quiver.getMappedPort(QuiverImage.METRICS_PORT) + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("quiver_calls_total{", "disk_free_bytes{path=\"/data\"}");
    }
    String logs = quiver.getLogs(OutputFrame.OutputType.STDERR);
    List<String> lines = Arrays.stream(logs.split("\n")).filter(line -> !line.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    for (String line : lines) {
      assertThat(line).as("every log line is a JSON object").startsWith("{");
      JSON.readTree(line);
    }
    assertThat(logs).contains("Quiver listening on").contains("quiver.access");
  }
}
