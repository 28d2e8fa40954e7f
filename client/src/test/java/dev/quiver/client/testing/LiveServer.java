package dev.quiver.client.testing;

import dev.quiver.client.QuiverClient;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;

/**
 * The server's {@link TestServer} (a real Quiver server, in-process on a free loopback port) and the
 * Quiver clients a test opens to it, all on the test server's client allocator. {@link #close()}
 * closes the clients, waits for the server's streams to end and its allocator to empty, then closes
 * the test server, which fails if either side leaked Arrow memory.
 */
public final class LiveServer implements AutoCloseable {
  private final Path data;
  private final TestServer server;
  private final List<QuiverClient> clients = new ArrayList<>();

  private LiveServer(Path data, TestServer server) {
    this.data = data;
    this.server = server;
  }

  public static LiveServer start(Path data) throws Exception {
    return start(ServerConfig.forTesting(data));
  }

  public static LiveServer start(ServerConfig config) throws Exception {
    return new LiveServer(config.dataDir(), TestServer.start(config));
  }

  public int port() {
    return server.server().port();
  }

  public String uri() {
    return "grpc://127.0.0.1:" + port();
  }

  public BufferAllocator clientAllocator() {
    return server.clientAllocator();
  }

  /** A client of this server on the test's allocator; closed with the server. */
  public QuiverClient client() {
    return client(uri(), b -> b);
  }

  /** A client of {@code uri} (this server, maybe through a proxy) set up by {@code options}. */
  public QuiverClient client(String uri, UnaryOperator<QuiverClient.Builder> options) {
    QuiverClient client = options.apply(QuiverClient.builder(uri).allocator(clientAllocator())).build();
    clients.add(client);
    return client;
  }

  /** Waits until every DoGet stream has ended and gRPC holds no body buffer of one. */
  public void awaitQuiet() {
    server.awaitQuiet();
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
    TestServer.awaitTrue(() -> dataFiles().stream().noneMatch(f -> f.startsWith(".quiver-uploads/")),
        "the server to discard staged uploads");
  }

  @Override
  public void close() throws Exception {
    try {
      for (QuiverClient client : clients) {
        client.close();
      }
      // A cancelled call's buffers are released asynchronously: let them go before the leak check.
      server.awaitQuiet();
      TestServer.awaitTrue(() -> server.server().allocator().getAllocatedMemory() == 0,
          "the server allocator to be empty");
    } finally {
      server.close(); // fails if the client's or the server's allocator still holds memory
    }
  }
}
