package dev.quiver.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.flight.FlightServiceDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * A real Quiver server on a free loopback port with an arrow-java {@link FlightClient} connected to
 * it. Closing it checks that nothing leaked: no DoGet stream left open, no body buffer left in gRPC,
 * the client's and the server's allocators empty.
 */
public final class TestServer implements AutoCloseable {
  private final QuiverServer server;
  private final BufferAllocator clientAllocator;
  private final FlightClient client;

  private TestServer(QuiverServer server) {
    this.server = server;
    this.clientAllocator = new RootAllocator();
    this.client = FlightClient.builder(clientAllocator, Location.forGrpcInsecure("127.0.0.1", server.port())).build();
  }

  public static TestServer start(Path dataDir) throws Exception {
    return start(ServerConfig.forTesting(dataDir));
  }

  public static TestServer start(ServerConfig config) throws Exception {
    return new TestServer(QuiverServer.start(config));
  }

  public FlightClient client() {
    return client;
  }

  public BufferAllocator clientAllocator() {
    return clientAllocator;
  }

  public QuiverServer server() {
    return server;
  }

  /** Waits until gRPC has released every buffer and closed every stream of finished calls. */
  public void awaitQuiet() {
    awaitTrue(() -> FlightServiceDefinition.activeDoGetStreams() == 0
        && FlightServiceDefinition.bodyBytesInFlight() == 0, "server streams to finish");
  }

  /** Polls {@code condition} (state settles asynchronously after a call returns), failing after 10 s. */
  public static void awaitTrue(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }

  @Override
  public void close() throws Exception {
    try {
      client.close();
      awaitQuiet();
      assertThat(clientAllocator.getAllocatedMemory()).as("client allocator after the test").isZero();
      assertThat(server.allocator().getAllocatedMemory()).as("server allocator after the test").isZero();
    } finally {
      clientAllocator.close();
      server.close();
    }
  }
}
