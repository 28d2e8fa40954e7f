package dev.quiver.server.telemetry;

import static dev.quiver.server.telemetry.Scrape.calls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint of a real server: counters move by exactly what real calls moved (bytes,
 * batches and rows counted independently on the wire), the gauges and the JVM metrics are there.
 */
class MetricsTest {
  @TempDir Path data;

  private ServerConfig withMetrics() {
    ServerConfig config = ServerConfig.forTesting(data);
    return config.withOperations(config.operations().withMetricsPort(0));
  }

  /** Scrapes until {@code condition} holds (calls are recorded when they end, just after the client sees it). */
  private static Scrape awaitScrape(int port, Predicate<Scrape> condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    Scrape scrape = Scrape.of(port);
    while (!condition.test(scrape)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("metrics never reached the expected state:\n" + scrape.text());
      }
      Thread.sleep(20);
      scrape = Scrape.of(port);
    }
    return scrape;
  }

  @Test
  void countersMoveByWhatRealCallsMoved() throws Exception {
    ArrowFiles.write(data.resolve("mixed.arrow"), ArrowFiles.Spec.file(3, 50));
    try (TestServer server = TestServer.start(withMetrics());
         RawFlight raw = new RawFlight(server.server().port());
         BufferAllocator allocator = new RootAllocator()) {
      int port = server.server().telemetry().metricsPort();
      assertThat(port).isPositive().isNotEqualTo(server.server().port());
      Scrape before = Scrape.of(port);
      assertThat(before.value("quiver_datasets")).isEqualTo(1.0);

      int listed = 0;
      for (FlightInfo ignored : server.client().listFlights(Criteria.ALL)) {
        listed++;
      }
      assertThat(listed).isEqualTo(1);
      RawFlight.Moved got = raw.doGet("mixed");
      assertThat(got.batches()).isEqualTo(3);
      assertThat(got.rows()).isEqualTo(150);
      RawFlight.Outcome put = raw.doPut(ArrowFiles.bytes(allocator, ArrowFiles.Spec.stream(2, 20)), "uploaded");
      assertThat(put.status().getCode()).as(put.status().toString()).isEqualTo(Status.Code.OK);
      assertThatThrownBy(() -> raw.doGet("missing"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      assertThat(raw.doAction("stats", "")).hasSize(1);

      Map<String, Double> expectedCalls = Map.of(
          calls("ListFlights", "OK"), 1.0,
          calls("DoGet", "OK"), 1.0,
          calls("DoGet", "NOT_FOUND"), 1.0,
          calls("DoPut", "OK"), 1.0,
          calls("DoAction", "OK"), 1.0);
      Scrape after = awaitScrape(port, s -> expectedCalls.entrySet().stream()
          .allMatch(e -> s.value(e.getKey()) - before.value(e.getKey()) >= e.getValue()));
      expectedCalls.forEach((series, delta) ->
          assertThat(after.value(series) - before.value(series)).as(series).isEqualTo(delta));
      assertThat(delta(before, after, "quiver_call_duration_seconds_count{method=\"DoGet\"}")).isEqualTo(2);
      assertThat(after.value("quiver_call_duration_seconds_sum{method=\"DoGet\"}")).isPositive();
      assertThat(after.has("quiver_call_duration_seconds_bucket{method=\"DoGet\",le=\"+Inf\"}")).isTrue();

      // What the client received and sent, counted on the wire: IPC headers and bodies.
      assertThat(delta(before, after, "quiver_sent_bytes_total")).isEqualTo(got.bytes());
      assertThat(delta(before, after, "quiver_sent_batches_total")).isEqualTo(3);
      assertThat(delta(before, after, "quiver_sent_rows_total")).isEqualTo(150);
      assertThat(delta(before, after, "quiver_received_bytes_total")).isEqualTo(put.moved().bytes());
      assertThat(delta(before, after, "quiver_received_batches_total")).isEqualTo(2);
      assertThat(delta(before, after, "quiver_received_rows_total")).isEqualTo(40);

      assertThat(after.value("quiver_streams_active")).isZero();
      assertThat(after.value("quiver_mapped_bytes")).isGreaterThanOrEqualTo(Files.size(data.resolve("mixed.arrow")));
      assertThat(after.has("quiver_upload_in_progress_bytes")).isTrue();
      assertThat(after.has("quiver_datasets")).isTrue();
      // JVM and process metrics.
      for (String metric : List.of("jvm_memory_used_bytes", "jvm_memory_max_bytes", "jvm_gc_memory_allocated_bytes_total",
          "jvm_threads_live_threads", "jvm_classes_loaded_classes", "jvm_info", "system_cpu_count",
          "process_cpu_usage", "process_uptime_seconds", "process_files_open_files", "disk_free_bytes")) {
        assertThat(after.hasMetric(metric)).as(metric).isTrue();
      }
    }
  }

  private static long delta(Scrape before, Scrape after, String series) {
    return Math.round(after.value(series) - before.value(series));
  }

  @Test
  void aStreamInProgressIsAnActiveStream() throws Exception {
    try (BufferAllocator allocator = new RootAllocator()) {
      TestTables.writeNumbers(allocator, data.resolve("big.arrow"), 24, 65_536);
    }
    try (TestServer server = TestServer.start(withMetrics());
         FlightStream stream = server.client().getStream(new Ticket("big".getBytes(StandardCharsets.UTF_8)))) {
      int port = server.server().telemetry().metricsPort();
      assertThat(stream.next()).isTrue();
      // The client stopped reading: the stream is open, paused by flow control.
      Scrape during = Scrape.of(port);
      assertThat(during.value("quiver_streams_active")).isEqualTo(1);
      stream.cancel("enough", null);
    }
  }

  @Test
  void theEndpointServesOnlyMetricsInTheAskedFormat() throws Exception {
    try (TestServer server = TestServer.start(withMetrics())) {
      int port = server.server().telemetry().metricsPort();
      HttpResponse<String> text = Scrape.get(port, "/metrics", null);
      assertThat(text.statusCode()).isEqualTo(200);
      assertThat(text.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(text.body()).contains("# TYPE quiver_sent_bytes_total counter");

      HttpResponse<String> open = Scrape.get(port, "/metrics",
          "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3");
      assertThat(open.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("application/openmetrics-text"));
      assertThat(open.body()).endsWith("# EOF\n");

      assertThat(Scrape.get(port, "/", null).statusCode()).isEqualTo(404);
      assertThat(Scrape.get(port, "/metrics/../secrets", null).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void withoutAMetricsPortNothingListensButCallsAreStillCounted() throws Exception {
    ArrowFiles.write(data.resolve("mixed.arrow"), ArrowFiles.Spec.file(2, 10));
    try (TestServer server = TestServer.start(data);
         RawFlight raw = new RawFlight(server.server().port())) {
      Telemetry telemetry = server.server().telemetry();
      assertThat(telemetry.metricsPort()).isEqualTo(-1);
      RawFlight.Moved got = raw.doGet("mixed");
      TestServer.awaitTrue(() -> Scrape.parse(telemetry.scrape()).value(calls("DoGet", "OK")) == 1, "the call recorded");
      assertThat(Scrape.parse(telemetry.scrape()).value("quiver_sent_bytes_total")).isEqualTo(got.bytes());
      assertThat(telemetry.scrape()).doesNotContain("jvm_");
    }
  }

  @Test
  void theDatasetCountIsCachedForAFewSeconds() throws Exception {
    Catalog catalog = new Catalog(DataRoot.open(data));
    try {
      DatasetCount cached = new DatasetCount(catalog, Long.MAX_VALUE);
      DatasetCount fresh = new DatasetCount(catalog, 0);
      assertThat(cached.get()).isEqualTo(0.0);
      assertThat(fresh.get()).isEqualTo(0.0);
      ArrowFiles.write(data.resolve("one.arrow"), ArrowFiles.Spec.file(1, 1));
      assertThat(cached.get()).isEqualTo(0.0);
      assertThat(fresh.get()).isEqualTo(1.0);
      catalog.close();
      assertThat(fresh.get()).isEqualTo(Double.NaN);
    } finally {
      catalog.close();
    }
  }
}
