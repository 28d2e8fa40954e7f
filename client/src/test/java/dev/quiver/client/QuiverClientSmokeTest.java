package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.server.QuiverServer;
import dev.quiver.server.catalog.SampleDataset;
import dev.quiver.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuiverClientSmokeTest {
  @TempDir Path data;
  @TempDir Path local;

  @Test
  void roundTrip() throws Exception {
    try (QuiverServer server = QuiverServer.start(ServerConfig.forTesting(data))) {
      SampleDataset.writeInto(data);
      try (QuiverClient client = QuiverClient.builder("grpc://127.0.0.1:" + server.port()).build()) {
        List<DatasetInfo> all = client.list("");
        assertThat(all).extracting(DatasetInfo::name).contains("sample");
        DatasetDescription d = client.describe("sample");
        assertThat(d.rows()).isEqualTo(10_000);
        Path out = local.resolve("s.arrow");
        DownloadResult r = client.download("sample", out, DownloadOptions.defaults());
        assertThat(r.rows()).isEqualTo(10_000);
        try (RootAllocator a = new RootAllocator();
             ArrowFileReader reader = new ArrowFileReader(new SeekableReadChannel(Files.newByteChannel(out)), a)) {
          long rows = 0;
          while (reader.loadNextBatch()) {
            rows += reader.getVectorSchemaRoot().getRowCount();
          }
          assertThat(rows).isEqualTo(10_000);
        }
        UploadResult u = client.upload(out, "copy", UploadOptions.defaults());
        assertThat(u.rows()).isEqualTo(10_000);
        assertThat(client.describe("copy").rows()).isEqualTo(10_000);
        try (BatchStream s = client.read(ReadRequest.of("copy").withBatches(0, 2))) {
          int n = 0;
          while (s.next()) {
            n++;
          }
          assertThat(n).isEqualTo(2);
        }
        client.rename("copy", "copy2", false);
        client.delete("copy2");
        assertThatThrownBy(() -> client.describe("copy2")).isInstanceOf(DatasetNotFoundException.class);
        assertThat(Files.list(local)).hasSize(1);
      }
    }
  }
}
