package dev.quiver.cli;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.catalog.SampleDataset;
import dev.quiver.server.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Quiver server, in-process, serving a data directory that starts with the 10-batch
 * {@code sample} dataset; one per test class, since starting one takes a fraction of a second.
 * {@link #quiver} runs the command line against it.
 */
abstract class ServerFixture {
  @TempDir
  static Path dataDir;

  static QuiverServer server;

  @BeforeAll
  static void startServer() throws IOException {
    Path data = Files.createDirectories(dataDir.resolve("data"));
    SampleDataset.writeInto(data);
    server = QuiverServer.start(ServerConfig.forTesting(data));
  }

  @AfterAll
  static void stopServer() throws InterruptedException {
    server.close();
  }

  static String address() {
    return "grpc://127.0.0.1:" + server.port();
  }

  /** {@code quiver --server <this server> args...}. */
  static Cli.Result quiver(String... args) {
    return quiverWith(Cli.NEVER, args);
  }

  static Cli.Result quiverWith(Interrupts interrupts, String... args) {
    List<String> all = new ArrayList<>(List.of("--server", address()));
    all.addAll(List.of(args));
    return Cli.run(Map.of(), interrupts, all.toArray(String[]::new));
  }
}
