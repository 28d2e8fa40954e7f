package dev.quiver.server;

import dev.quiver.server.catalog.SampleDataset;
import dev.quiver.server.config.ByteSizeConverter;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.upload.UploadLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code java -jar quiver-server.jar --data DIR --port N --host H}: starts a Quiver server. */
@Command(
    name = "quiver-server",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Serves the Arrow IPC files under a directory over Arrow Flight, memory-mapped and zero-copy.")
public final class Main implements Callable<Integer> {
  static final Path DEFAULT_DATA = Path.of("data");

  @Option(names = "--data", paramLabel = "DIR",
      description = "Data directory; every Arrow IPC file under it is a dataset. Default: ./data, which"
          + " is created with a small sample dataset if it is missing or empty.")
  Path data;

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "0.0.0.0",
      description = "Address to listen on (default: ${DEFAULT-VALUE}, all interfaces).")
  String host;

  @Option(names = "--port", paramLabel = "N", defaultValue = "" + ServerConfig.DEFAULT_PORT,
      description = "TCP port (default: ${DEFAULT-VALUE}); 0 picks a free port.")
  int port;

  @Option(names = "--endpoint-size", paramLabel = "SIZE", defaultValue = "256MiB", converter = ByteSizeConverter.class,
      description = "Datasets larger than this are split into several endpoints (batch ranges) of about"
          + " this size, for parallel fetching (default: ${DEFAULT-VALUE}).")
  long endpointSize;

  @Option(names = "--stream-buffer", paramLabel = "SIZE", defaultValue = "1MiB", converter = ByteSizeConverter.class,
      description = "Bytes queued per DoGet stream before it waits for the client (default: ${DEFAULT-VALUE}).")
  long streamBuffer;

  @Option(names = "--write-buffer", paramLabel = "SIZE", defaultValue = "8MiB", converter = ByteSizeConverter.class,
      description = "Bytes a connection queues for its socket before pausing (default: ${DEFAULT-VALUE}); mapped"
          + " pages, not copies.")
  long writeBuffer;

  @Option(names = "--max-upload-size", paramLabel = "SIZE", defaultValue = "64GiB", converter = ByteSizeConverter.class,
      description = "Largest DoPut upload accepted (default: ${DEFAULT-VALUE}).")
  long maxUploadSize;

  @Option(names = "--min-free-disk", paramLabel = "SIZE", defaultValue = "1GiB", converter = ByteSizeConverter.class,
      description = "Refuse uploads that would leave less free disk than this (default: ${DEFAULT-VALUE}).")
  long minFreeDisk;

  @Option(names = "--port-file", paramLabel = "FILE",
      description = "Write the port actually bound to this file once listening (useful with --port 0).")
  Path portFile;

  public static void main(String[] args) {
    prepareJvm();
    System.exit(new CommandLine(new Main()).execute(args));
  }

  /**
   * Settings that must be in place before Netty's classes initialize. Netty only uses
   * {@code sun.misc.Unsafe} (for direct buffers and fast copies) on JDK 24+ when told to.
   */
  static void prepareJvm() {
    if (System.getProperty("io.netty.noUnsafe") == null) {
      System.setProperty("io.netty.noUnsafe", "false");
    }
    if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
      System.setProperty("io.netty.tryReflectionSetAccessible", "true");
    }
  }

  @Override
  public Integer call() throws Exception {
    Logger log = LoggerFactory.getLogger(Main.class);
    Path dataDir = data != null ? data : prepareDefaultDataDir(log);
    if (!Files.isDirectory(dataDir)) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "data directory " + dataDir.toAbsolutePath() + " does not exist or is not a directory");
    }
    if (streamBuffer > Integer.MAX_VALUE || writeBuffer > Integer.MAX_VALUE) {
      throw new CommandLine.ParameterException(new CommandLine(this),
          "--stream-buffer and --write-buffer must be below 2 GiB");
    }
    ServerConfig config;
    try {
      config = new ServerConfig(dataDir, host, port, endpointSize, (int) streamBuffer,
          ServerConfig.DEFAULT_ALLOCATOR_LIMIT, new UploadLimits(maxUploadSize, minFreeDisk), (int) writeBuffer);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    QuiverServer server = QuiverServer.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "quiver-shutdown"));
    int datasets = server.catalog().names().size();
    log.info("Quiver listening on {} serving {} dataset{} from {}", server.location(), datasets,
        datasets == 1 ? "" : "s", config.dataDir().toAbsolutePath().normalize());
    if (portFile != null) {
      Path temporary = portFile.resolveSibling(portFile.getFileName() + ".tmp");
      Files.writeString(temporary, Integer.toString(server.port()), StandardCharsets.US_ASCII);
      Files.move(temporary, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    server.awaitTermination();
    return 0;
  }

  /** ./data, created with the sample dataset when it is missing or empty. */
  private static Path prepareDefaultDataDir(Logger log) throws IOException {
    Files.createDirectories(DEFAULT_DATA);
    boolean empty;
    try (Stream<Path> entries = Files.list(DEFAULT_DATA)) {
      empty = entries.findAny().isEmpty();
    }
    if (empty) {
      Path sample = SampleDataset.writeInto(DEFAULT_DATA);
      log.info("data directory {} was empty: wrote the sample dataset '{}' ({})",
          DEFAULT_DATA.toAbsolutePath().normalize(), SampleDataset.NAME, sample.getFileName());
    }
    return DEFAULT_DATA;
  }

  /** Version from the jar manifest, when there is one. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"quiver-server " + (version == null ? "(development build)" : version)};
    }
  }
}
