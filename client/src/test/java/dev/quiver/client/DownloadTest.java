package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.LiveServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.ipc.ArrowFiles.Table;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QuiverClient#download}: the file written equals the dataset batch by batch, whatever the
 * endpoints and parallelism; failures leave nothing behind, not even hidden spool files.
 */
class DownloadTest {
  /** About 300 KB: with 64 KB endpoints, several endpoints. */
  private static final Spec MIXED = Spec.file(12, 500);
  private static final Spec SINGLE = Spec.file(3, 100);
  private static final Spec ZSTD = Spec.file(4, 300).compressed(ArrowFiles.Codec.ZSTD);
  private static final Spec WINDY = Spec.stream(8, 400).replacingDictionaryAt(5);

  @TempDir Path data;
  @TempDir Path local;
  @TempDir Path sources;
  private LiveServer server;
  private QuiverClient client;

  @BeforeEach
  void start() throws Exception {
    ArrowFiles.write(data.resolve("mixed.arrow"), MIXED);
    ArrowFiles.write(data.resolve("zstd.arrow"), ZSTD);
    Files.createDirectories(data.resolve("one"));
    ArrowFiles.write(data.resolve("one/single.arrows"), SINGLE);
    server = LiveServer.start(ServerConfig.forTesting(data).withEndpointTargetBytes(64 << 10));
    client = server.client();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  /** Every name in {@code dir}, hidden files included. */
  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private int endpointsOf(String name) {
    return client.list(name).stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow().endpoints();
  }

  @Test
  void aDownloadEqualsTheDatasetBatchByBatch() throws Exception {
    Path out = local.resolve("mixed.arrow");
    DownloadResult result = client.download("mixed", out, DownloadOptions.defaults());

    assertThat(result.file()).isEqualTo(out.toAbsolutePath());
    assertThat(result.rows()).isEqualTo(MIXED.totalRows());
    assertThat(result.batches()).isEqualTo(MIXED.batches());
    assertThat(result.bytes()).isEqualTo(Files.size(out));
    assertThat(result.resumes()).isZero();
    assertThat(ArrowFiles.isFileFormat(out)).isTrue();
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(MIXED))
        .isEqualTo(ArrowFiles.read(data.resolve("mixed.arrow")));
    assertThat(filesIn(local)).containsExactly("mixed.arrow");
  }

  @Test
  void theFileFormatOutputHasAFooterIndexingEveryBatch() throws Exception {
    Path out = local.resolve("single.arrow");
    client.download("one/single", out, DownloadOptions.defaults());
    try (RootAllocator allocator = new RootAllocator();
         ArrowFileReader reader = new ArrowFileReader(FileChannel.open(out), allocator)) {
      assertThat(reader.getRecordBlocks()).hasSize(SINGLE.batches());
      assertThat(reader.getDictionaryBlocks()).hasSize(1);
      reader.loadRecordBatch(reader.getRecordBlocks().get(2)); // random access works
      assertThat(ArrowFiles.rows(reader.getVectorSchemaRoot(), reader))
          .isEqualTo(ArrowFiles.expectedTable(SINGLE).batches().get(2));
    }
  }

  @Test
  void parallelismOneAndFourWriteIdenticalFilesFromManyEndpoints() throws Exception {
    assertThat(endpointsOf("mixed")).isGreaterThanOrEqualTo(4);
    Path serial = local.resolve("serial.arrow");
    Path parallel = local.resolve("parallel.arrow");
    client.download("mixed", serial, DownloadOptions.defaults().withParallelism(1));
    client.download("mixed", parallel, DownloadOptions.defaults().withParallelism(4));

    assertThat(Files.mismatch(serial, parallel)).as("byte for byte").isEqualTo(-1);
    Table table = ArrowFiles.read(parallel);
    assertThat(table.batches()).hasSize(MIXED.batches());
    assertThat(table).isEqualTo(ArrowFiles.expectedTable(MIXED));
  }

  @Test
  void parallelismAboveTheEndpointCountIsFine() throws Exception {
    Path out = local.resolve("single.arrow");
    DownloadResult result = client.download("one/single", out, DownloadOptions.defaults().withParallelism(16));
    assertThat(result.batches()).isEqualTo(SINGLE.batches());
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(SINGLE));
  }

  @Test
  void oneClientServesConcurrentDownloadsAndReads() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Table>> results = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Path out = local.resolve("copy" + i + ".arrow");
        results.add(pool.submit(() -> {
          client.download("mixed", out, DownloadOptions.defaults().withParallelism(2));
          return ArrowFiles.read(out);
        }));
      }
      results.add(pool.submit(() -> {
        List<List<List<Object>>> batches = new ArrayList<>();
        try (BatchStream stream = client.read(ReadRequest.of("mixed"))) {
          while (stream.next()) {
            batches.add(ArrowFiles.rows(stream.root(), stream.dictionaries()));
          }
        }
        return new Table(ArrowFiles.COLUMNS, batches);
      }));
      for (java.util.concurrent.Future<Table> result : results) {
        assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(ArrowFiles.expectedTable(MIXED));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aDotArrowsDestinationGetsTheStreamFormat() throws Exception {
    Path out = local.resolve("mixed.arrows");
    DownloadResult result = client.download("mixed", out, DownloadOptions.defaults());

    assertThat(result.bytes()).isEqualTo(Files.size(out));
    assertThat(ArrowFiles.isFileFormat(out)).isFalse();
    try (RootAllocator allocator = new RootAllocator();
         ArrowStreamReader reader = new ArrowStreamReader(Files.newInputStream(out), allocator)) {
      assertThat(ArrowFiles.read(reader)).isEqualTo(ArrowFiles.expectedTable(MIXED));
      assertThat(reader.bytesRead()).isEqualTo(Files.size(out)); // ends with the end-of-stream marker
    }
  }

  @Test
  void compressedBatchesAreWrittenAsTheyCame() throws Exception {
    Path out = local.resolve("zstd.arrow");
    client.download("zstd", out, DownloadOptions.defaults());
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(ZSTD));
  }

  @Test
  void aReplacedDictionaryNeedsTheStreamFormat() throws Exception {
    Path source = ArrowFiles.write(sources.resolve("windy.arrows"), WINDY);
    UploadResult uploaded = client.upload(source, "windy", UploadOptions.defaults());
    assertThat(uploaded.parts()).as("the server split the upload where the dictionary changed").isEqualTo(2);
    assertThat(endpointsOf("windy")).isGreaterThan(1);

    Path asFile = local.resolve("windy.arrow");
    assertThatThrownBy(() -> client.download("windy", asFile, DownloadOptions.defaults()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining(".arrows").hasMessageContaining("windy");
    assertThat(filesIn(local)).isEmpty();

    Path asStream = local.resolve("windy.arrows");
    DownloadResult result = client.download("windy", asStream, DownloadOptions.defaults());
    assertThat(result.batches()).isEqualTo(WINDY.batches());
    assertThat(ArrowFiles.read(asStream)).isEqualTo(ArrowFiles.expectedTable(WINDY));
    assertThat(filesIn(local)).containsExactly("windy.arrows");
  }

  @Test
  void anExistingDestinationIsKeptUnlessOverwritingIsAllowed() throws Exception {
    Path out = local.resolve("mixed.arrow");
    Files.writeString(out, "precious");

    assertThatThrownBy(() -> client.download("mixed", out, DownloadOptions.defaults()))
        .isInstanceOf(LocalIoException.class).hasMessageContaining(out.toString()).hasMessageContaining("exists");
    assertThat(Files.readString(out)).isEqualTo("precious");
    assertThat(filesIn(local)).containsExactly("mixed.arrow");

    DownloadResult result = client.download("mixed", out, DownloadOptions.defaults().withOverwrite(true));
    assertThat(result.rows()).isEqualTo(MIXED.totalRows());
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(MIXED));
    assertThat(filesIn(local)).containsExactly("mixed.arrow");
  }

  @Test
  void aMissingDirectoryOrADirectoryDestinationIsALocalError() throws Exception {
    Path missing = local.resolve("no/such/dir/mixed.arrow");
    assertThatThrownBy(() -> client.download("mixed", missing, DownloadOptions.defaults()))
        .isInstanceOf(LocalIoException.class).hasMessageContaining("does not exist");
    assertThat(local.resolve("no")).doesNotExist();

    Files.createDirectory(local.resolve("taken"));
    assertThatThrownBy(() -> client.download("mixed", local.resolve("taken"),
        DownloadOptions.defaults().withOverwrite(true)))
        .isInstanceOf(LocalIoException.class).hasMessageContaining("is a directory");
    assertThat(filesIn(local)).containsExactly("taken");
  }

  @Test
  void anUnknownDatasetLeavesNothing() throws Exception {
    assertThatThrownBy(() -> client.download("nope", local.resolve("nope.arrow"), DownloadOptions.defaults()))
        .isInstanceOf(DatasetNotFoundException.class).hasMessageContaining("nope");
    assertThat(filesIn(local)).isEmpty();
  }

  @Test
  void progressGrowsToTheTotalsInOrderWithOneThread() throws Exception {
    List<TransferProgress> seen = Collections.synchronizedList(new ArrayList<>());
    DownloadResult result = client.download("mixed", local.resolve("m.arrow"),
        DownloadOptions.defaults().withParallelism(1).withProgress(seen::add));

    // One report per batch, then the completion report, which reaches the byte total.
    assertThat(seen).hasSize(MIXED.batches() + 1);
    List<TransferProgress> perBatch = seen.subList(0, MIXED.batches());
    for (int i = 1; i < perBatch.size(); i++) {
      assertThat(perBatch.get(i).batches()).isEqualTo(perBatch.get(i - 1).batches() + 1);
      assertThat(perBatch.get(i).rows()).isGreaterThan(perBatch.get(i - 1).rows());
      assertThat(perBatch.get(i).bytes()).isGreaterThan(perBatch.get(i - 1).bytes());
    }
    TransferProgress last = seen.get(seen.size() - 1);
    assertThat(last.batches()).isEqualTo(result.batches()).isEqualTo(perBatch.get(perBatch.size() - 1).batches());
    assertThat(last.rows()).isEqualTo(MIXED.totalRows()).isEqualTo(last.totalRows());
    assertThat(last.totalBytes()).isPositive();
    assertThat(last.bytes()).isGreaterThanOrEqualTo(last.totalBytes());
    assertThat(last.fraction()).isEqualTo(1.0);
  }

  @Test
  void progressCountsEveryBatchOnceWithSeveralThreads() throws Exception {
    List<TransferProgress> seen = Collections.synchronizedList(new ArrayList<>());
    client.download("mixed", local.resolve("m.arrow"), DownloadOptions.defaults().withParallelism(4)
        .withProgress(seen::add));

    // Each batch is counted once, in order even across threads, then the completion report.
    assertThat(seen).extracting(TransferProgress::batches)
        .containsExactlyElementsOf(LongStream.concat(LongStream.rangeClosed(1, MIXED.batches()),
            LongStream.of(MIXED.batches())).boxed().toList());
    assertThat(seen).extracting(TransferProgress::rows).contains(MIXED.totalRows())
        .allMatch(rows -> rows <= MIXED.totalRows());
  }

  @Test
  void cancellingFromTheProgressListenerLeavesNoFile() throws Exception {
    Cancellation cancellation = new Cancellation();
    List<TransferProgress> seen = Collections.synchronizedList(new ArrayList<>());
    DownloadOptions options = DownloadOptions.defaults().withParallelism(2).withCancellation(cancellation)
        .withProgress(p -> {
          seen.add(p);
          if (p.batches() == 2) {
            cancellation.cancel();
          }
        });

    assertThatThrownBy(() -> client.download("mixed", local.resolve("mixed.arrow"), options))
        .isInstanceOf(TransferCancelledException.class).hasMessageContaining("mixed");
    assertThat(cancellation.isCancelled()).isTrue();
    assertThat(seen.size()).isLessThan(MIXED.batches());
    assertThat(filesIn(local)).isEmpty();
    server.awaitQuiet(); // the endpoints' calls were cancelled on the server too
  }

  @Test
  void anAlreadyCancelledDownloadDoesNothing() throws Exception {
    Cancellation cancellation = new Cancellation();
    cancellation.cancel();
    assertThatThrownBy(() -> client.download("mixed", local.resolve("mixed.arrow"),
        DownloadOptions.defaults().withCancellation(cancellation)))
        .isInstanceOf(TransferCancelledException.class);
    assertThat(filesIn(local)).isEmpty();
  }

  @Test
  void anEmptyDatasetDownloadsAsSchemaOnly() throws Exception {
    Spec empty = Spec.file(0, 10);
    Path source = ArrowFiles.write(sources.resolve("empty.arrow"), empty);
    client.upload(source, "empty", UploadOptions.defaults());

    for (String name : List.of("empty.arrow", "empty.arrows")) {
      Path out = local.resolve(name);
      DownloadResult result = client.download("empty", out, DownloadOptions.defaults());
      assertThat(result.rows()).isZero();
      assertThat(result.batches()).isZero();
      Table table = ArrowFiles.read(out);
      assertThat(table.batches()).isEmpty();
    }
    try (RootAllocator allocator = new RootAllocator();
         ArrowFileReader reader = new ArrowFileReader(FileChannel.open(local.resolve("empty.arrow")), allocator)) {
      assertThat(reader.getVectorSchemaRoot().getSchema()).isEqualTo(ArrowFiles.memorySchema(empty));
    }
  }

  @Test
  void aRelativeDestinationIsResolvedAgainstTheWorkingDirectory() throws Exception {
    Path relative = Path.of("").toAbsolutePath().relativize(local.resolve("rel.arrow"));
    DownloadResult result = client.download("one/single", relative, DownloadOptions.defaults());
    assertThat(result.file()).isEqualTo(local.resolve("rel.arrow"));
    assertThat(new String(Files.readAllBytes(local.resolve("rel.arrow")), 0, 6, StandardCharsets.US_ASCII))
        .isEqualTo("ARROW1");
  }
}
