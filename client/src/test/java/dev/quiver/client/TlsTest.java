package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.LiveServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client over TLS ({@code grpc+tls://}, {@code trustedCertificates}) and mutual TLS
 * ({@code clientCertificate}) against a real server; a server it cannot verify, or a server that
 * refuses its certificate, is a {@link NetworkException} saying to check TLS.
 */
class TlsTest {
  private static final Spec SPEC = Spec.file(3, 100);

  @TempDir static Path certificateDir;
  private static TestCertificates certs;

  @TempDir Path data;
  @TempDir Path local;

  @BeforeAll
  static void generateCertificates() {
    certs = TestCertificates.generate(certificateDir);
  }

  private LiveServer start(TlsSettings tls) throws Exception {
    ArrowFiles.write(Files.createDirectories(data.resolve("secure")).resolve("table.arrow"), SPEC);
    return LiveServer.start(ServerConfig.forTesting(data).withTls(tls));
  }

  private static String tlsUri(LiveServer server) {
    return "grpc+tls://localhost:" + server.port();
  }

  /** A client of {@code server} over TLS with short deadlines (failures come fast). */
  private static QuiverClient client(LiveServer server, UnaryOperator<QuiverClient.Builder> options) {
    return server.client(tlsUri(server), b -> options.apply(b.callTimeout(Duration.ofSeconds(10))
        .transferTimeout(Duration.ofSeconds(30))));
  }

  private void assertListsAndDownloads(QuiverClient client) throws Exception {
    List<DatasetInfo> datasets = client.list(null);
    assertThat(datasets).extracting(DatasetInfo::name).containsExactly("secure/table");
    assertThat(datasets.get(0).rows()).isEqualTo(SPEC.totalRows());
    Path destination = local.resolve("table-" + System.nanoTime() + ".arrow");
    DownloadResult result = client.download("secure/table", destination, DownloadOptions.defaults());
    assertThat(result.rows()).isEqualTo(SPEC.totalRows());
    assertThat(Files.size(destination)).isPositive();
    try (BatchStream batches = client.read(ReadRequest.of("secure/table"))) {
      long rows = 0;
      while (batches.next()) {
        rows += batches.root().getRowCount();
      }
      assertThat(rows).isEqualTo(SPEC.totalRows());
    }
  }

  @Test
  void listsAndDownloadsOverTlsTrustingTheCa() throws Exception {
    try (LiveServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), null))) {
      assertListsAndDownloads(client(server, b -> b.trustedCertificates(certs.ca())));
      // The server certificate also names 127.0.0.1.
      assertListsAndDownloads(server.client("grpc+tls://127.0.0.1:" + server.port(),
          b -> b.trustedCertificates(certs.ca())));
    }
  }

  @Test
  void aServerSignedByAnotherCaIsANetworkException() throws Exception {
    try (LiveServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), null))) {
      QuiverClient client = client(server, b -> b.trustedCertificates(certs.otherCa()));
      assertThatThrownBy(() -> client.list(null)).isInstanceOf(NetworkException.class)
          .hasMessageContaining("TLS");
      // Without trusted certificates the JDK's trust store is used: the test CA is not in it either.
      QuiverClient jdkTrust = client(server, b -> b);
      assertThatThrownBy(() -> jdkTrust.list(null)).isInstanceOf(NetworkException.class);
    }
  }

  @Test
  void aPlainClientOnATlsPortOrATlsClientOnAPlainPortIsANetworkException() throws Exception {
    try (LiveServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), null))) {
      QuiverClient plain = server.client("grpc://127.0.0.1:" + server.port(),
          b -> b.callTimeout(Duration.ofSeconds(10)));
      assertThatThrownBy(() -> plain.list(null)).isInstanceOf(NetworkException.class);
    }
    try (LiveServer server = LiveServer.start(data)) {
      QuiverClient tls = client(server, b -> b.trustedCertificates(certs.ca()));
      assertThatThrownBy(() -> tls.list(null)).isInstanceOf(NetworkException.class);
    }
  }

  @Test
  void mutualTlsWithAClientCertificateSignedByTheClientCa() throws Exception {
    try (LiveServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), certs.ca()))) {
      assertListsAndDownloads(client(server, b -> b.trustedCertificates(certs.ca())
          .clientCertificate(certs.clientCert(), certs.clientKey())));
    }
  }

  @Test
  void mutualTlsWithoutOrWithAForeignClientCertificateIsANetworkException() throws Exception {
    try (LiveServer server = start(new TlsSettings(certs.serverCert(), certs.serverKey(), certs.ca()))) {
      QuiverClient without = client(server, b -> b.trustedCertificates(certs.ca()));
      assertThatThrownBy(() -> without.list(null)).isInstanceOf(NetworkException.class);
      QuiverClient foreign = client(server, b -> b.trustedCertificates(certs.ca())
          .clientCertificate(certs.otherClientCert(), certs.otherClientKey()));
      assertThatThrownBy(() -> foreign.list(null)).isInstanceOf(NetworkException.class);
      // The server is fine: the right certificate still gets in.
      assertListsAndDownloads(client(server, b -> b.trustedCertificates(certs.ca())
          .clientCertificate(certs.clientCert(), certs.clientKey())));
    }
  }

  @Test
  void unreadableCertificatesFailWhenTheClientIsBuilt() throws Exception {
    Path garbage = Files.writeString(local.resolve("garbage.pem"), "not a certificate");
    assertThatThrownBy(() -> QuiverClient.builder("grpc+tls://localhost:1").trustedCertificates(garbage).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TLS");
    assertThatThrownBy(() -> QuiverClient.builder("grpc://localhost:1").trustedCertificates(certs.ca()).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("grpc+tls://");
  }
}
