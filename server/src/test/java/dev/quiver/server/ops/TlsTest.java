package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.testing.TestCertificates;
import dev.quiver.server.testing.TestTables;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS ({@code --tls-cert/--tls-key}) and mutual TLS ({@code --tls-client-ca}) on the Flight port,
 * with arrow-java's FlightClient: the right CA works, a plain client or the wrong CA does not; with
 * mutual TLS, only a client certificate signed by the configured CA is let in.
 */
class TlsTest {
  private static final int BATCHES = 3;
  private static final int ROWS = 1000;

  @TempDir static Path certificateDir;
  private static TestCertificates certs;

  @TempDir Path data;
  private BufferAllocator allocator;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void generateCertificates() {
    certs = TestCertificates.generate(certificateDir);
  }

  @BeforeEach
  void setUp() throws Exception {
    allocator = new RootAllocator();
    TestTables.writeNumbers(allocator, data.resolve("numbers.arrow"), BATCHES, ROWS);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
  }

  private QuiverServer start(TlsSettings tls) throws Exception {
    QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data).withTls(tls));
    toClose.add(server);
    return server;
  }

  private FlightClient client(QuiverServer server, UnaryOperator<FlightClient.Builder> options) {
    FlightClient client = options.apply(FlightClient.builder(allocator,
        Location.forGrpcTls("localhost", server.port()))).build();
    toClose.add(client);
    return client;
  }

  private static FlightClient.Builder trusting(FlightClient.Builder builder, Path ca) {
    return builder.trustedCertificates(new ByteArrayInputStream(TestCertificates.read(ca)));
  }

  private static FlightClient.Builder presenting(FlightClient.Builder builder, Path cert, Path key) {
    return builder.clientCertificate(new ByteArrayInputStream(TestCertificates.read(cert)),
        new ByteArrayInputStream(TestCertificates.read(key)));
  }

  /** Lists, describes and reads the dataset: what a client does first. */
  private static void assertServes(FlightClient client) {
    List<String> names = new ArrayList<>();
    for (FlightInfo info : client.listFlights(Criteria.ALL)) {
      names.add(String.join("/", info.getDescriptor().getPath()));
    }
    assertThat(names).containsExactly("numbers");
    assertThat(client.getInfo(FlightDescriptor.path("numbers")).getRecords()).isEqualTo((long) BATCHES * ROWS);
    try (FlightStream stream = client.getStream(Ops.ticket("numbers"))) {
      assertThat(Ops.drain(stream)).isEqualTo((long) BATCHES * ROWS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aClientTrustingTheCaListsAndReadsOverTls() throws Exception {
    QuiverServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), null));
    assertThat(server.location()).startsWith("grpc+tls://127.0.0.1:");
    assertServes(client(server, b -> trusting(b, certs.ca())));
    // The certificate names 127.0.0.1 too (subject alternative name), so the IP works as well.
    FlightClient byAddress = FlightClient.builder(allocator, Location.forGrpcTls("127.0.0.1", server.port()))
        .trustedCertificates(new ByteArrayInputStream(TestCertificates.read(certs.ca()))).build();
    toClose.add(byAddress);
    assertServes(byAddress);
  }

  @Test
  void aPlainClientCannotTalkToTheTlsPort() throws Exception {
    QuiverServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), null));
    FlightClient plain = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", server.port())).build();
    toClose.add(plain);
    assertThatThrownBy(() -> plain.getInfo(FlightDescriptor.path("numbers")))
        .satisfies(e -> assertThat(Ops.code(e)).isIn("UNAVAILABLE", "INTERNAL", "UNKNOWN"));
  }

  @Test
  void aClientTrustingAnotherCaRefusesTheServer() throws Exception {
    QuiverServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), null));
    FlightClient client = client(server, b -> trusting(b, certs.otherCa()));
    assertThatThrownBy(() -> client.getInfo(FlightDescriptor.path("numbers")))
        .satisfies(e -> assertThat(Ops.code(e)).isEqualTo("UNAVAILABLE"));
  }

  @Test
  void mutualTlsLetsInAClientCertificateSignedByTheClientCa() throws Exception {
    QuiverServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), certs.ca()));
    assertServes(client(server, b -> presenting(trusting(b, certs.ca()), certs.clientCert(), certs.clientKey())));
  }

  @Test
  void mutualTlsRefusesAClientWithoutCertificate() throws Exception {
    QuiverServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), certs.ca()));
    FlightClient client = client(server, b -> trusting(b, certs.ca()));
    assertThatThrownBy(() -> client.getInfo(FlightDescriptor.path("numbers")))
        .satisfies(e -> assertThat(Ops.code(e)).isIn("UNAVAILABLE", "INTERNAL", "UNKNOWN"));
  }

  @Test
  void mutualTlsRefusesAClientCertificateFromAnotherCa() throws Exception {
    QuiverServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), certs.ca()));
    FlightClient client = client(server,
        b -> presenting(trusting(b, certs.ca()), certs.otherClientCert(), certs.otherClientKey()));
    assertThatThrownBy(() -> client.getInfo(FlightDescriptor.path("numbers")))
        .satisfies(e -> assertThat(Ops.code(e)).isIn("UNAVAILABLE", "INTERNAL", "UNKNOWN"));
    // ... while the right certificate, on the same server, still gets in.
    assertServes(client(server, b -> presenting(trusting(b, certs.ca()), certs.clientCert(), certs.clientKey())));
  }
}
