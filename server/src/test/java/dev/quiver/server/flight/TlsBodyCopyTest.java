package dev.quiver.server.flight;

import static dev.quiver.server.flight.FlightReads.mixedRows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.config.TlsSettings;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.testing.TestCertificates;
import dev.quiver.server.testing.TestServer;
import dev.quiver.server.testing.TestTables;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With TLS, no mapped page reaches the TLS engine: the bodies DoGet sends are copies made in Java,
 * because the engine (OpenSSL, native) reading a page of a file truncated meanwhile kills the JVM
 * (ServedFileFaultIT shows the fault; this shows the path). Without TLS they stay zero-copy.
 */
class TlsBodyCopyTest {
  @TempDir Path data;
  @TempDir Path certificates;

  @Test
  void withTlsBodiesAreCopiedOutOfTheMappingAndServedEqual() throws Exception {
    TestCertificates certs = TestCertificates.generate(certificates);
    int mappingsBefore = MappedFile.liveMappings();
    try (BufferAllocator allocator = new RootAllocator()) {
      TestTables.writeMixed(allocator, data.resolve("t.arrow"), 6, 500, false);
      ServerConfig config = ServerConfig.forTesting(data).withTls(new TlsSettings(certs.serverCert(), certs.serverKey(), null));
      try (QuiverServer server = QuiverServer.start(config);
           InputStream ca = Files.newInputStream(certs.ca());
           FlightClient client = FlightClient.builder(allocator, Location.forGrpcTls("localhost", server.port()))
               .trustedCertificates(ca).build()) {
        long zeroCopyBefore = FrameInputStream.zeroCopyBytes();
        long copiedBefore = FrameInputStream.copiedBytes();

        assertThat(FlightReads.read(client, "t").rows()).isEqualTo(mixedRows(0, 3000));
        assertThat(FlightReads.read(client, "{\"dataset\": \"t\", \"columns\": [\"name\", \"id\"]}").rows())
            .isEqualTo(mixedRows(0, 3000, 1, 0));

        assertThat(FrameInputStream.zeroCopyBytes()).as("bytes sent from the mapping itself").isEqualTo(zeroCopyBefore);
        assertThat(FrameInputStream.copiedBytes()).as("bytes sent as copies").isGreaterThan(copiedBefore);
        TestServer.awaitTrue(() -> FlightServiceDefinition.activeDoGetStreams() == 0, "streams to finish");
        assertThat(server.allocator().getAllocatedMemory()).isZero();
      }
    }
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }
}
