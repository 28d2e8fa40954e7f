package dev.quiver.server;

import dev.quiver.server.auth.HashPasswordCommand;
import dev.quiver.server.auth.HashTokenCommand;
import dev.quiver.server.catalog.SampleDataset;
import dev.quiver.server.config.ByteSizeConverter;
import dev.quiver.server.config.CallLimits;
import dev.quiver.server.config.ConfigDefaults;
import dev.quiver.server.config.DurationConverter;
import dev.quiver.server.config.Operations;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.upload.UploadLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code java -jar quiver-server.jar --data DIR --port N --host H}: starts a Quiver server.
 * {@code hash-password} and {@code hash-token} make the secrets of an auth file; {@code health-check}
 * asks a running server whether it is serving (the container image's HEALTHCHECK).
 */
@Command(
    name = "quiver-server",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Serves the Arrow IPC files under a directory over Arrow Flight, memory-mapped and zero-copy.",
    subcommands = {HashPasswordCommand.class, HashTokenCommand.class, HealthCheckCommand.class})
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

  @Option(names = "--tls-cert", paramLabel = "PEM",
      description = "Certificate chain (PEM) to serve grpc+tls with; needs --tls-key.")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PEM, PKCS#8) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--tls-client-ca", paramLabel = "PEM",
      description = "CA certificates (PEM): require every client to present a certificate they signed (mutual TLS).")
  Path tlsClientCa;

  @Option(names = "--auth-file", paramLabel = "FILE",
      description = "Users (bcrypt password hashes) and API tokens with their scopes (JSON; see proto-docs). Without"
          + " it, authentication is off.")
  Path authFile;

  @Option(names = "--token-ttl", paramLabel = "DURATION", defaultValue = "12h", converter = DurationConverter.class,
      description = "Lifetime of bearer tokens issued for basic credentials (default: ${DEFAULT-VALUE}).")
  Duration tokenTtl;

  @Option(names = "--metrics-port", paramLabel = "N", defaultValue = "-1",
      description = "HTTP port of the Prometheus endpoint /metrics; 0 picks a free one, -1 (default) turns it off.")
  int metricsPort;

  @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
      description = "Log lines as 'text' (default) or 'json' (one object a line).")
  LogFormat logFormat;

  @Option(names = "--max-streams", paramLabel = "N", defaultValue = "256",
      description = "Concurrent DoGet streams; more are refused with RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).")
  int maxStreams;

  @Option(names = "--max-uploads", paramLabel = "N", defaultValue = "16",
      description = "Concurrent DoPut uploads; more are refused with RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).")
  int maxUploads;

  @Option(names = "--upload-idle-timeout", paramLabel = "DURATION", defaultValue = "5m",
      converter = DurationConverter.class,
      description = "An upload silent this long is cancelled, storing nothing (default: ${DEFAULT-VALUE}).")
  Duration uploadIdleTimeout;

  @Option(names = "--max-message-size", paramLabel = "SIZE", defaultValue = "2GiB", converter = ByteSizeConverter.class,
      description = "Largest incoming message (one IPC message of an upload) (default: ${DEFAULT-VALUE}).")
  long maxMessageSize;

  @Option(names = "--drain-period", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
      description = "On SIGTERM, how long running calls may finish before they are cut (default: ${DEFAULT-VALUE}).")
  Duration drainPeriod;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Properties file of settings (keys are option names without dashes: max-streams = 64). Flags"
          + " override environment variables (QUIVER_MAX_STREAMS=64), which override the file.")
  Path configFile;

  @Option(names = "--port-file", paramLabel = "FILE",
      description = "Write the port actually bound to this file once listening (useful with --port 0).")
  Path portFile;

  /** How log lines are written; read by logback.xml through the {@code quiver.log.format} property. */
  enum LogFormat { text, json }

  public static void main(String[] args) {
    prepareJvm();
    System.exit(commandLine(args, System.getenv()).execute(args));
  }

  /**
   * The command line with its defaults from the environment and the config file ({@link ConfigDefaults}).
   * A config file that cannot be read or names unknown settings fails here, before anything starts.
   */
  static CommandLine commandLine(String[] args, Map<String, String> environment) {
    Main main = new Main();
    CommandLine commandLine = new CommandLine(main);
    Path config = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        config = Path.of(args[i + 1]);
      } else if (args[i].startsWith("--config=")) {
        config = Path.of(args[i].substring("--config=".length()));
      }
    }
    ConfigDefaults defaults;
    try {
      defaults = ConfigDefaults.load(config, environment);
      defaults.checkFileKeys(commandLine.getCommandSpec().optionsMap().keySet());
    } catch (IllegalArgumentException e) {
      return failing(e.getMessage());
    }
    main.defaults = defaults;
    ConfigDefaults source = defaults;
    CommandLine.IParameterExceptionHandler standard = commandLine.getParameterExceptionHandler();
    commandLine.setParameterExceptionHandler((ex, arguments) -> {
      // A bad value that did not come from a flag: say where it came from, so it can be found.
      if (ex.getArgSpec() instanceof CommandLine.Model.OptionSpec option && source.sourceOf(option.longestName()) != null
          && !Arrays.asList(arguments).contains(option.longestName())) {
        ex = new CommandLine.ParameterException(ex.getCommandLine(),
            ex.getMessage() + " (set by " + source.sourceOf(option.longestName()) + ")", ex, ex.getArgSpec(),
            ex.getValue());
      }
      return standard.handleParseException(ex, arguments);
    });
    return commandLine.setDefaultValueProvider(defaults);
  }

  /**
   * Environment variables read by other parts than the options (logback, the CLI's, the config
   * file's, and the TLS settings of {@code health-check}, which a container sets next to the server's).
   */
  private static final Set<String> OTHER_VARIABLES = Set.of("QUIVER_CONFIG", "QUIVER_LOG_LEVEL",
      "QUIVER_ACCESS_LOG_LEVEL", "QUIVER_SERVER", "QUIVER_TOKEN", "QUIVER_PASSWORD", "QUIVER_DEBUG",
      "QUIVER_TLS_CA", "QUIVER_TLS_SERVER_NAME");

  private ConfigDefaults defaults;

  /** A command line that only reports {@code message} as a usage error (exit code 2). */
  private static CommandLine failing(String message) {
    CommandLine failing = new CommandLine(new Failing(message));
    return failing;
  }

  @Command(name = "quiver-server")
  private static final class Failing implements Callable<Integer> {
    private final String message;

    Failing(String message) {
      this.message = message;
    }

    @picocli.CommandLine.Unmatched
    java.util.List<String> ignored;

    @Override
    public Integer call() {
      System.err.println("quiver-server: " + message);
      return 2;
    }
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
    // Before the first logger: logback.xml picks the encoder from this property.
    System.setProperty("quiver.log.format", logFormat.name());
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
          ServerConfig.DEFAULT_ALLOCATOR_LIMIT, new UploadLimits(maxUploadSize, minFreeDisk), (int) writeBuffer,
          new TlsSettings(tlsCert, tlsKey, tlsClientCa),
          new CallLimits(maxStreams, maxUploads, uploadIdleTimeout, (int) Math.min(Integer.MAX_VALUE, maxMessageSize)),
          new Operations(authFile, tokenTtl, metricsPort, drainPeriod));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    QuiverServer server;
    try {
      server = QuiverServer.start(config);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(new CommandLine(this), e.getMessage());
    }
    ShutdownSignals.install(server);
    int datasets = server.catalog().names().size();
    if (defaults != null) {
      for (String name : defaults.unknownEnvironment(
          new CommandLine(this).getCommandSpec().optionsMap().keySet(), OTHER_VARIABLES)) {
        log.warn("environment variable {} sets no option (a typo?); options are set by QUIVER_ and the option name,"
            + " e.g. QUIVER_MAX_STREAMS", name);
      }
    }
    log.info("Quiver listening on {} serving {} dataset{} from {}", server.location(), datasets,
        datasets == 1 ? "" : "s", config.dataDir().toAbsolutePath().normalize());
    if (portFile != null) {
      Path temporary = portFile.resolveSibling(portFile.getFileName() + ".tmp");
      Files.writeString(temporary, Integer.toString(server.port()), StandardCharsets.US_ASCII);
      Files.move(temporary, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    // SIGTERM or SIGINT closes the server gracefully (ShutdownSignals); the process then exits 0.
    server.awaitClosed();
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
