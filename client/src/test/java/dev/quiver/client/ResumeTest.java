package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.LiveServer;
import dev.quiver.client.testing.TcpProxy;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A download whose connection breaks mid-transfer, through a proxy that resets every connection
 * once about half the dataset went through: it resumes each endpoint from its last complete batch.
 */
class ResumeTest {
  /** About 6 MB in 48 batches of ~125 KB, in endpoints of ~1.5 MB. */
  private static final Spec BIG = Spec.file(48, 2_500);

  @TempDir Path data;
  @TempDir Path local;
  private LiveServer server;
  private TcpProxy proxy;
  private long datasetBytes;

  @BeforeEach
  void start() throws Exception {
    ArrowFiles.write(data.resolve("big.arrow"), BIG);
    server = LiveServer.start(ServerConfig.forTesting(data).withEndpointTargetBytes(3 << 19));
    proxy = TcpProxy.start(server.port());
    DatasetInfo info = server.client().list("big").get(0);
    assertThat(info.endpoints()).isGreaterThanOrEqualTo(3);
    datasetBytes = info.bytes();
    assertThat(datasetBytes).isGreaterThan(5L << 20);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      proxy.close();
    } finally {
      server.close();
    }
  }

  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList();
    }
  }

  @Test
  void aBrokenConnectionIsResumedNotRestarted() throws Exception {
    QuiverClient client = server.client(proxy.uri(), b -> b);
    proxy.severAfter(datasetBytes / 2);
    Path out = local.resolve("big.arrow");

    DownloadResult result = client.download("big", out, DownloadOptions.defaults().withParallelism(4));

    assertThat(proxy.severings()).as("the connection was cut").isEqualTo(1);
    assertThat(proxy.connections()).as("the client reconnected").isGreaterThanOrEqualTo(2);
    assertThat(result.resumes()).isGreaterThanOrEqualTo(1);
    assertThat(result.rows()).isEqualTo(BIG.totalRows());
    assertThat(result.batches()).isEqualTo(BIG.batches());
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(BIG));
    // Starting over after the cut at 1/2 would move at least 1.5x the dataset; resuming moves the
    // dataset once plus the batches that were in flight at the cut (a few of ~125 KB each).
    assertThat(proxy.bytesToClient()).isGreaterThanOrEqualTo(datasetBytes).isLessThan(datasetBytes * 13 / 10);
    assertThat(filesIn(local)).containsExactly("big.arrow");
  }

  @Test
  void aResumedStreamFormatDownloadIsIdenticalToAnUnbrokenOne() throws Exception {
    Path direct = local.resolve("direct.arrows");
    server.client().download("big", direct, DownloadOptions.defaults());

    QuiverClient client = server.client(proxy.uri(), b -> b);
    proxy.severAfter(datasetBytes / 2);
    Path resumed = local.resolve("resumed.arrows");
    DownloadResult result = client.download("big", resumed, DownloadOptions.defaults().withParallelism(2));

    assertThat(result.resumes()).isGreaterThanOrEqualTo(1);
    assertThat(Files.mismatch(direct, resumed)).as("byte for byte").isEqualTo(-1);
  }

  @Test
  void aResumeAfterADictionaryReplacementKeepsTheReplacement() throws Exception {
    // Stored as two parts; the cut comes a little after the replacement (batch 20 of 48), so the
    // resumed range starts with the replaced dictionary, which this download already has.
    Spec windy = Spec.stream(48, 2_500).replacingDictionaryAt(20);
    Path source = ArrowFiles.write(local.resolve("source.arrows"), windy);
    assertThat(server.client().upload(source, "windy", UploadOptions.defaults()).parts()).isEqualTo(2);
    Files.delete(source);
    long bytes = server.client().list("windy").get(0).bytes();

    QuiverClient client = server.client(proxy.uri(), b -> b);
    proxy.severAfter(bytes * 45 / 100);
    Path out = local.resolve("windy.arrows");
    DownloadResult result = client.download("windy", out, DownloadOptions.defaults().withParallelism(1));

    assertThat(result.resumes()).isGreaterThanOrEqualTo(1);
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(windy));
  }

  @Test
  void withoutResumesABrokenConnectionFailsTheDownloadAndLeavesNothing() throws Exception {
    QuiverClient client = server.client(proxy.uri(), b -> b);
    proxy.severAfter(datasetBytes / 2);
    Path out = local.resolve("big.arrow");

    assertThatThrownBy(() -> client.download("big", out, DownloadOptions.defaults().withMaxResumes(0)))
        .isInstanceOf(NetworkException.class).hasMessageContaining("big");
    assertThat(proxy.severings()).isEqualTo(1);
    assertThat(filesIn(local)).isEmpty();
  }
}
