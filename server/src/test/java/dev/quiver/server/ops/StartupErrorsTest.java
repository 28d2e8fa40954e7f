package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad or missing certificates stop the server at start-up with a message naming the option, the
 * file and the problem: from {@link QuiverServer#start} as an IllegalArgumentException, and from
 * the command line as a usage error (exit code 2) on stderr.
 */
class StartupErrorsTest {
  @TempDir static Path certificateDir;
  private static TestCertificates certs;

  @TempDir Path data;
  @TempDir Path scratch;

  @BeforeAll
  static void generateCertificates() {
    certs = TestCertificates.generate(certificateDir);
  }

  private Path garbage(String name) throws Exception {
    return Files.writeString(scratch.resolve(name), "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
        + "-----END CERTIFICATE-----\n", StandardCharsets.US_ASCII);
  }

  private void assertStartFails(TlsSettings tls, String... fragments) {
    assertThatThrownBy(() -> QuiverServer.start(ServerConfig.forTesting(data).withTls(tls)).close())
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).contains(fragments));
  }

  /** Runs the command line with {@code args} after {@code --data DIR --host 127.0.0.1 --port 0}; expects exit 2. */
  private Ops.Run assertCommandLineFails(String... args) throws Exception {
    String[] all = new String[args.length + 6];
    System.arraycopy(new String[] {"--data", data.toString(), "--host", "127.0.0.1", "--port", "0"}, 0, all, 0, 6);
    System.arraycopy(args, 0, all, 6, args.length);
    Ops.Run run = Ops.execute(Map.of(), all);
    assertThat(run.exitCode()).as("exit code; stderr:\n" + run.err()).isEqualTo(2);
    return run;
  }

  @Test
  void aMissingCertificateFileIsNamed() throws Exception {
    Path missing = scratch.resolve("nowhere/server.pem");
    assertStartFails(new TlsSettings(missing, certs.serverKey(), null), "--tls-cert", missing.toString(),
        "no such file");
    Ops.Run run = assertCommandLineFails("--tls-cert", missing.toString(), "--tls-key", certs.serverKey().toString());
    assertThat(run.err()).contains("--tls-cert", missing.toString(), "no such file");
  }

  @Test
  void aMissingKeyFileIsNamed() throws Exception {
    Path missing = scratch.resolve("server.key");
    assertStartFails(new TlsSettings(certs.serverCert(), missing, null), "--tls-key", missing.toString(),
        "no such file");
  }

  @Test
  void aKeyThatDoesNotMatchTheCertificateIsRefused() throws Exception {
    // A valid PKCS#8 key, but of the client certificate.
    assertStartFails(new TlsSettings(certs.serverCert(), certs.clientKey(), null), "--tls-key",
        certs.clientKey().toString());
    Ops.Run run = assertCommandLineFails("--tls-cert", certs.serverCert().toString(), "--tls-key",
        certs.clientKey().toString());
    assertThat(run.err()).contains("--tls-key", certs.clientKey().toString());
  }

  @Test
  void aGarbageCertificateIsRefusedNamingTheFile() throws Exception {
    Path bad = garbage("bad-cert.pem");
    assertStartFails(new TlsSettings(bad, certs.serverKey(), null), "--tls-cert", bad.toString());
    Ops.Run run = assertCommandLineFails("--tls-cert", bad.toString(), "--tls-key", certs.serverKey().toString());
    assertThat(run.err()).contains("--tls-cert", bad.toString());
  }

  @Test
  void aGarbageKeyIsRefusedNamingTheFile() throws Exception {
    Path bad = Files.writeString(scratch.resolve("bad.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n"
        + "-----END PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
    assertStartFails(new TlsSettings(certs.serverCert(), bad, null), "--tls-key", bad.toString());
  }

  @Test
  void aGarbageClientCaIsRefusedNamingTheFile() throws Exception {
    Path bad = garbage("bad-ca.pem");
    assertStartFails(new TlsSettings(certs.serverCert(), certs.serverKey(), bad), "--tls-client-ca", bad.toString());
    Ops.Run run = assertCommandLineFails("--tls-cert", certs.serverCert().toString(), "--tls-key",
        certs.serverKey().toString(), "--tls-client-ca", bad.toString());
    assertThat(run.err()).contains("--tls-client-ca", bad.toString());
  }

  @Test
  void aMissingClientCaFileIsNamed() throws Exception {
    Path missing = scratch.resolve("ca.pem");
    assertStartFails(new TlsSettings(certs.serverCert(), certs.serverKey(), missing), "--tls-client-ca",
        missing.toString(), "no such file");
  }

  @Test
  void aCertificateWithoutKeyOrAClientCaWithoutCertificateIsAUsageError() throws Exception {
    assertThatThrownBy(() -> new TlsSettings(certs.serverCert(), null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--tls-cert").hasMessageContaining(
            "--tls-key");
    Ops.Run run = assertCommandLineFails("--tls-cert", certs.serverCert().toString());
    assertThat(run.err()).contains("--tls-cert", "--tls-key");
    run = assertCommandLineFails("--tls-key", certs.serverKey().toString());
    assertThat(run.err()).contains("--tls-cert", "--tls-key");
    run = assertCommandLineFails("--tls-client-ca", certs.ca().toString());
    assertThat(run.err()).contains("--tls-client-ca");
  }

  @Test
  void nothingIsLeftListeningAfterAFailedStart() throws Exception {
    // A failed start releases what it opened: the same data directory starts fine right after.
    assertStartFails(new TlsSettings(certs.serverCert(), certs.clientKey(), null), "--tls-key");
    try (QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data).withTls(
        new TlsSettings(certs.serverCert(), certs.serverKey(), null)))) {
      assertThat(server.port()).isPositive();
    }
  }
}
