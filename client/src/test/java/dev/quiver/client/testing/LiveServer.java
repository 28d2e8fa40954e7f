package dev.quiver.client.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.client.QuiverClient;
import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.flight.FlightServiceDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A real Quiver server, in-process on a free loopback port, and the clients a test opens to it, all
 * on one client allocator the test owns. {@link #close()} closes the clients, waits for the server's
 * streams to end, and fails if either side leaked Arrow memory.
 */
public final class LiveServer implements AutoCloseable {
  private final Path data;
  private final QuiverServer server;
  private final BufferAllocator clientAllocator = new RootAllocator();
  private final List<QuiverClient> clients = new ArrayList<>();

  private LiveServer(Path data, QuiverServer server) {
    this.data = data;
    this.server = server;
  }

  public static LiveServer start(Path data) throws IOException {
    return start(ServerConfig.forTesting(data));
  }

  public static LiveServer start(ServerConfig config) throws IOException {
    return new LiveServer(config.dataDir(), QuiverServer.start(config));
  }

  public int port() {
    return server.port();
  }

  public String uri() {
    return "grpc://127.0.0.1:" + server.port();
  }

  public Path data() {
    return data;
  }

  public QuiverServer server() {
    return server;
  }

  public BufferAllocator clientAllocator() {
    return clientAllocator;
  }

  /** A client of this server on the test's allocator; closed with the server. */
  public QuiverClient client() {
    return client(uri(), b -> b);
  }

  /** A client of {@code uri} (this server, maybe through a proxy) set up by {@code options}. */
  public QuiverClient client(String uri, UnaryOperator<QuiverClient.Builder> options) {
    QuiverClient client = options.apply(QuiverClient.builder(uri).allocator(clientAllocator)).build();
    clients.add(client);
    return client;
  }

  /** Waits until every DoGet stream has ended and gRPC holds no body buffer of one. */
  public void awaitQuiet() {
    Await.until(() -> FlightServiceDefinition.activeDoGetStreams() == 0
        && FlightServiceDefinition.bodyBytesInFlight() == 0, "the server's streams to end");
  }

  /** Files under the data directory (relative, '/'-separated, sorted), hidden ones included. */
  public List<String> dataFiles() {
    try (Stream<Path> files = Files.walk(data)) {
      return files.filter(p -> !p.equals(data)).map(p -> data.relativize(p).toString().replace('\\', '/'))
          .sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until no upload is being staged in the server's {@code .quiver-uploads} directory. */
  public void awaitNoStagedUploads() {
    Await.until(() -> dataFiles().stream().noneMatch(f -> f.startsWith(".quiver-uploads/")),
        "the server to discard staged uploads");
  }

  @Override
  public void close() {
    try {
      for (QuiverClient client : clients) {
        client.close();
      }
      awaitQuiet();
      assertThat(clientAllocator.getAllocatedMemory()).as("client allocator after the test").isZero();
      Await.until(() -> server.allocator().getAllocatedMemory() == 0, "the server allocator to be empty");
    } finally {
      clientAllocator.close();
      try {
        server.close(); // closes the server's allocator, which throws if it still holds memory
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted stopping the server", e);
      }
    }
  }
}
