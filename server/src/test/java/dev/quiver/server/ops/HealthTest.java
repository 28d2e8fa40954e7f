package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.Operations;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.testing.TestCertificates;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standard gRPC health service ({@code grpc.health.v1.Health}) on the Flight port: SERVING for
 * the server ("") and the Flight service once started; NOT_SERVING as soon as a shutdown begins,
 * for the whole drain, while running streams finish and the port still answers probes.
 */
class HealthTest {
  private static final String FLIGHT = FlightServiceGrpc.SERVICE_NAME;

  @TempDir Path data;
  @TempDir Path certificateDir;
  private BufferAllocator allocator;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void setUp() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    allocator.close();
  }

  private ManagedChannel channel(int port) {
    ManagedChannel channel = Ops.plainChannel(port);
    channels.add(channel);
    return channel;
  }

  private static ServingStatus check(ManagedChannel channel, String service) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  @Test
  void aRunningServerIsServing() throws Exception {
    assertThat(FLIGHT).isEqualTo("arrow.flight.protocol.FlightService");
    try (TestServer server = TestServer.start(data)) {
      ManagedChannel channel = channel(server.server().port());
      assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
      assertThat(check(channel, FLIGHT)).isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> check(channel, "no.such.Service"))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
  }

  @Test
  void theHealthServiceIsOnTheTlsPortToo() throws Exception {
    TestCertificates certs = TestCertificates.generate(certificateDir);
    try (QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data)
        .withTls(new TlsSettings(certs.serverCert(), certs.serverKey(), null)))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", server.port())
          .sslContext(GrpcSslContexts.forClient().trustManager(certs.ca().toFile()).build()).build();
      channels.add(channel);
      assertThat(check(channel, "")).isEqualTo(ServingStatus.SERVING);
      assertThat(check(channel, FLIGHT)).isEqualTo(ServingStatus.SERVING);
    }
  }

  @Test
  void aWatcherSeesServingThenNotServingWhenTheServerCloses() throws Exception {
    QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data));
    try {
      BlockingQueue<Object> updates = new LinkedBlockingQueue<>();
      HealthGrpc.newStub(channel(server.port())).watch(HealthCheckRequest.newBuilder().setService(FLIGHT).build(),
          new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse response) {
              updates.add(response.getStatus());
            }

            @Override
            public void onError(Throwable t) {
              updates.add(Status.fromThrowable(t).getCode());
            }

            @Override
            public void onCompleted() {
              updates.add("completed");
            }
          });
      assertThat(updates.poll(10, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> close(server));
      assertThat(updates.poll(10, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
      // No Flight call runs: the close does not wait out the 5 s drain period for the watch,
      // which never ends by itself (it gets a second, then is cut).
      long started = System.nanoTime();
      closing.get(15, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
      assertThat(updates.poll(5, TimeUnit.SECONDS)).isIn(Status.Code.CANCELLED, Status.Code.UNAVAILABLE);
    } finally {
      server.close();
    }
  }

  @Test
  void probesGetNotServingDuringTheDrainWhileARunningStreamFinishes() throws Exception {
    TestTables.writeNumbers(allocator, data.resolve("big.arrow"), 48, 65_536); // 48 MiB: more than gRPC buffers
    QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data)
        .withOperations(Operations.DEFAULTS.withDrainPeriod(Duration.ofSeconds(20))));
    try (FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port()))
        .build()) {
      ManagedChannel probe = channel(server.port());
      assertThat(check(probe, "")).isEqualTo(ServingStatus.SERVING);
      long rows;
      CompletableFuture<Void> closing;
      try (FlightStream stream = client.getStream(Ops.ticket("big"))) {
        assertThat(stream.next()).isTrue();
        rows = stream.getRoot().getRowCount();
        closing = CompletableFuture.runAsync(() -> close(server));
        TestServer.awaitTrue(() -> check(probe, "") == ServingStatus.NOT_SERVING, "health to turn NOT_SERVING");
        assertThat(check(probe, FLIGHT)).isEqualTo(ServingStatus.NOT_SERVING);
        // A probe on a new connection (what a Kubernetes gRPC probe opens) gets the answer too.
        assertThat(check(channel(server.port()), "")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(closing).as("the close waits for the stream").isNotDone();
        rows += Ops.drain(stream);
      }
      assertThat(rows).isEqualTo(48L * 65_536);
      closing.get(10, TimeUnit.SECONDS); // well before the 20 s drain period ends
    } finally {
      server.close();
    }
  }

  private static void close(QuiverServer server) {
    try {
      server.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
