package dev.quiver.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.testing.TestCertificates;
import dev.quiver.server.testing.TestServer;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code quiver-server health-check}, the container image's HEALTHCHECK: exit 0 only for SERVING,
 * 1 for everything else, finding the server through the same environment variables it reads.
 */
class HealthCheckCommandTest {
  @TempDir Path data;
  @TempDir Path certificateDir;

  private record Run(int exit, String out, String err) {}

  /** Runs {@code quiver-server health-check ARGS} as {@link Main#main} would, with {@code environment}. */
  private static Run healthCheck(Map<String, String> environment, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "health-check";
    System.arraycopy(args, 0, all, 1, args.length);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = Main.commandLine(all, environment).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    int exit = line.execute(all);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void aRunningServerIsServing() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      String port = Integer.toString(server.server().port());
      Run run = healthCheck(Map.of(), "--port", port);
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out().strip()).isEqualTo("SERVING");
      Run flight = healthCheck(Map.of(), "--port", port, "--host", "127.0.0.1",
          "--service", "arrow.flight.protocol.FlightService");
      assertThat(flight.exit()).as(flight.err()).isZero();
    }
  }

  @Test
  void theServersEnvironmentSaysWhereItListens() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      // What a container sets for the server is what the check run next to it reads; a wildcard
      // listen address means this machine.
      Run run = healthCheck(Map.of("QUIVER_PORT", Integer.toString(server.server().port()), "QUIVER_HOST", "0.0.0.0"));
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out().strip()).isEqualTo("SERVING");
    }
  }

  @Test
  void nobodyListeningIsUnhealthy() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Run run = healthCheck(Map.of(), "--port", Integer.toString(port), "--timeout", "3s");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("grpc://localhost:" + port, "UNAVAILABLE", "--tls-ca");
  }

  @Test
  void anUnknownServiceIsUnhealthy() throws Exception {
    try (TestServer server = TestServer.start(data)) {
      Run run = healthCheck(Map.of(), "--port", Integer.toString(server.server().port()), "--service", "no.such.Service");
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err()).contains("NOT_FOUND");
    }
  }

  @Test
  void aDrainingServerIsNotServing() throws Exception {
    // A watch keeps the close from finishing at once: the server drains, and says NOT_SERVING.
    QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data));
    try {
      String port = Integer.toString(server.port());
      assertThat(healthCheck(Map.of(), "--port", port).exit()).isZero();
      ManagedChannel watcher = NettyChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
      try {
        HealthGrpc.newStub(watcher).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
              @Override public void onNext(HealthCheckResponse value) {}

              @Override public void onError(Throwable t) {}

              @Override public void onCompleted() {}
            });
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
          try {
            server.close();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        Run[] last = new Run[1];
        TestServer.awaitTrue(() -> (last[0] = healthCheck(Map.of(), "--port", port, "--timeout", "2s")).exit() == 1,
            "health-check to fail once the server drains");
        assertThat(last[0].out().strip() + last[0].err()).containsAnyOf("NOT_SERVING", "UNAVAILABLE");
        closing.join();
      } finally {
        watcher.shutdownNow();
      }
    } finally {
      server.close();
    }
  }

  @Test
  void withTlsItTrustsTheGivenCa() throws Exception {
    TestCertificates certs = TestCertificates.generate(certificateDir);
    try (QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data)
        .withTls(new TlsSettings(certs.serverCert(), certs.serverKey(), null)))) {
      String port = Integer.toString(server.port());
      Run run = healthCheck(Map.of(), "--port", port, "--tls-ca", certs.ca().toString());
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out().strip()).isEqualTo("SERVING");
      // The same through the environment, as a container would set it.
      Run fromEnvironment = healthCheck(Map.of("QUIVER_PORT", port, "QUIVER_TLS_CA", certs.ca().toString(),
          "QUIVER_TLS_SERVER_NAME", "localhost"), "--host", "127.0.0.1");
      assertThat(fromEnvironment.exit()).as(fromEnvironment.err()).isZero();
      Run plain = healthCheck(Map.of(), "--port", port, "--timeout", "3s");
      assertThat(plain.exit()).isEqualTo(1);
      Run otherCa = healthCheck(Map.of(), "--port", port, "--tls-ca", certs.otherCa().toString(), "--timeout", "3s");
      assertThat(otherCa.exit()).isEqualTo(1);
      assertThat(otherCa.err()).contains("UNAVAILABLE");
    }
  }

  @Test
  void badOptionsAreUsageErrors() {
    Run port = healthCheck(Map.of(), "--port", "0");
    assertThat(port.exit()).isEqualTo(2);
    assertThat(port.err()).contains("--port must be between 1 and 65535");
    Run ca = healthCheck(Map.of(), "--tls-ca", data.resolve("missing.pem").toString());
    assertThat(ca.exit()).isEqualTo(2);
    assertThat(ca.err()).contains("no such readable file");
  }
}
