package dev.quiver.server.telemetry;

import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.flight.FlightServiceDefinition;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.upload.UploadSession;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.DiskSpaceMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's telemetry: per-call metrics and the access log (through {@link #interceptor()}, which
 * gives every Flight call its {@link CallReport}), the server-wide gauges and JVM metrics, and the
 * Prometheus scrape endpoint ({@code GET /metrics} on {@code --metrics-port}, bound to the Flight
 * host). Owned and closed by {@code QuiverServer}.
 *
 * <p>Call metrics and the access log are always on; the gauges, the JVM metrics and the HTTP
 * endpoint only when a metrics port is configured (nobody could read them otherwise).
 */
public final class Telemetry implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Telemetry.class);

  private final PrometheusMeterRegistry registry;
  private final CallTelemetry calls;
  private final MetricsEndpoint endpoint;
  private final List<AutoCloseable> binders;

  private Telemetry(PrometheusMeterRegistry registry, MetricsEndpoint endpoint, List<AutoCloseable> binders) {
    this.registry = registry;
    this.calls = new CallTelemetry(registry);
    this.endpoint = endpoint;
    this.binders = binders;
  }

  /**
   * Starts what {@code config} asks for.
   *
   * @throws IOException if the metrics port cannot be bound
   */
  public static Telemetry start(ServerConfig config, Catalog catalog) throws IOException {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    int port = config.operations().metricsPort();
    if (port < 0) {
      return new Telemetry(registry, null, List.of());
    }
    List<AutoCloseable> binders = new ArrayList<>();
    try {
      registerGauges(registry, catalog);
      JvmGcMetrics gc = new JvmGcMetrics();
      binders.add(gc);
      for (MeterBinder binder : List.of(new JvmMemoryMetrics(), gc, new JvmThreadMetrics(), new ClassLoaderMetrics(),
          new JvmInfoMetrics(), new ProcessorMetrics(), new UptimeMetrics(), new FileDescriptorMetrics(),
          new DiskSpaceMetrics(config.dataDir().toFile()))) {
        binder.bindTo(registry);
      }
      MetricsEndpoint endpoint = MetricsEndpoint.start(config.host(), port, registry);
      log.info("metrics on {}", endpoint.url());
      return new Telemetry(registry, endpoint, binders);
    } catch (IOException | RuntimeException e) {
      closeAll(binders);
      registry.close();
      throw e;
    }
  }

  private static void registerGauges(PrometheusMeterRegistry registry, Catalog catalog) {
    Gauge.builder("quiver.streams.active", FlightServiceDefinition::activeDoGetStreams)
        .description("DoGet streams open now")
        .register(registry);
    Gauge.builder("quiver.datasets", new DatasetCount(catalog))
        .description("Datasets in the catalog (counted at most every few seconds)")
        .register(registry);
    Gauge.builder("quiver.mapped.bytes", MappedFile::liveMappedBytes)
        .description("Bytes of dataset files mapped into memory (address space; pages come from the page cache)")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("quiver.upload.in.progress.bytes", UploadSession::bytesInProgress)
        .description("Bytes received by uploads not yet stored or abandoned")
        .baseUnit("bytes")
        .register(registry);
  }

  /** Gives each Flight call its {@link CallReport}; records its metrics and access-log line when it ends. */
  public ServerInterceptor interceptor() {
    return calls;
  }

  /** The port the metrics endpoint is bound to, or -1 if it is off. */
  public int metricsPort() {
    return endpoint == null ? -1 : endpoint.port();
  }

  /** The metrics in the Prometheus text format, as the endpoint serves them. */
  public String scrape() {
    return registry.scrape();
  }

  @Override
  public void close() {
    if (endpoint != null) {
      endpoint.close();
    }
    closeAll(binders);
    registry.close();
  }

  private static void closeAll(List<AutoCloseable> closeables) {
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        log.debug("closing {} failed", closeable, e);
      }
    }
  }
}
