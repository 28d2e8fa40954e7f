package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.LiveServer;
import dev.quiver.protocol.UploadRequest.Compression;
import dev.quiver.protocol.UploadRequest.Mode;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.ipc.ArrowFiles.Table;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The three uploads (a local IPC file, an ArrowReader, an iterator of roots), their modes, options and failures. */
class UploadTest {
  private static final Spec FILE = Spec.file(5, 300);
  private static final Spec STREAM = Spec.stream(4, 250);

  @TempDir Path data;
  @TempDir Path local;
  private LiveServer server;
  private QuiverClient client;

  @BeforeEach
  void start() throws Exception {
    server = LiveServer.start(data);
    client = server.client();
  }

  @AfterEach
  void stop() throws Exception {
    server.awaitNoStagedUploads();
    server.close();
  }

  /** The dataset as the server serves it, through a download to the stream format (which holds anything). */
  private Table stored(String name) throws IOException {
    Path out = Files.createTempFile(local, "stored", ".arrows");
    Files.delete(out);
    client.download(name, out, DownloadOptions.defaults());
    Table table = ArrowFiles.read(out);
    Files.delete(out);
    return table;
  }

  private void assertAbsent(String name) {
    assertThat(client.list("")).extracting(DatasetInfo::name).doesNotContain(name);
    assertThatThrownBy(() -> client.describe(name)).isInstanceOf(DatasetNotFoundException.class);
    server.awaitNoStagedUploads();
  }

  @Test
  void uploadsAFileFormatFile() throws Exception {
    Path file = ArrowFiles.write(local.resolve("source.arrow"), FILE);
    UploadResult result = client.upload(file, "sales/2024", UploadOptions.defaults());

    assertThat(result.dataset()).isEqualTo("sales/2024");
    assertThat(result.mode()).isEqualTo("create");
    assertThat(result.batches()).isEqualTo(FILE.batches());
    assertThat(result.rows()).isEqualTo(FILE.totalRows());
    assertThat(result.parts()).isEqualTo(1);
    assertThat(result.bytes()).isEqualTo(Files.size(data.resolve("sales/2024.arrow")));
    assertThat(client.describe("sales/2024").format()).isEqualTo("file");
    assertThat(stored("sales/2024")).isEqualTo(ArrowFiles.expectedTable(FILE));
    assertThat(file).exists(); // the source is left alone
  }

  @Test
  void uploadsAStreamFormatFile() throws Exception {
    Path file = ArrowFiles.write(local.resolve("source.arrows"), STREAM);
    UploadResult result = client.upload(file, "events", UploadOptions.defaults());

    assertThat(result.batches()).isEqualTo(STREAM.batches());
    assertThat(result.rows()).isEqualTo(STREAM.totalRows());
    assertThat(client.describe("events").format()).as("stored as an IPC file").isEqualTo("file");
    assertThat(stored("events")).isEqualTo(ArrowFiles.expectedTable(STREAM));
  }

  @Test
  void uploadsAPreOneDotZeroStream() throws Exception {
    Spec spec = Spec.stream(3, 40).withoutDictionary();
    Path file = ArrowFiles.write(local.resolve("legacy.arrows"), spec, ArrowFiles.LEGACY);
    assertThat(client.upload(file, "legacy", UploadOptions.defaults()).rows()).isEqualTo(spec.totalRows());
    assertThat(stored("legacy")).isEqualTo(ArrowFiles.expectedTable(spec));
  }

  @Test
  void createRefusesAnExistingDatasetAndLeavesIt() throws Exception {
    client.upload(ArrowFiles.write(local.resolve("a.arrow"), FILE), "ds", UploadOptions.defaults());
    Path other = ArrowFiles.write(local.resolve("b.arrows"), STREAM);

    assertThatThrownBy(() -> client.upload(other, "ds", UploadOptions.defaults()))
        .isInstanceOf(DatasetExistsException.class).hasMessageContaining("ds");
    assertThat(stored("ds")).isEqualTo(ArrowFiles.expectedTable(FILE));
  }

  @Test
  void overwriteReplacesADataset() throws Exception {
    client.upload(ArrowFiles.write(local.resolve("a.arrow"), FILE), "ds", UploadOptions.defaults());
    UploadResult result = client.upload(ArrowFiles.write(local.resolve("b.arrows"), STREAM), "ds",
        UploadOptions.defaults().withMode(Mode.OVERWRITE));

    assertThat(result.mode()).isEqualTo("overwrite");
    assertThat(result.rows()).isEqualTo(STREAM.totalRows());
    assertThat(stored("ds")).isEqualTo(ArrowFiles.expectedTable(STREAM));
  }

  @Test
  void appendAddsBatchesAsANewPart() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), FILE);
    UploadResult first = client.upload(file, "log", UploadOptions.defaults().withMode(Mode.APPEND));
    assertThat(first.mode()).isEqualTo("append");
    assertThat(first.parts()).as("append creates a missing dataset").isEqualTo(1);

    UploadResult second = client.upload(ArrowFiles.write(local.resolve("b.arrows"), STREAM), "log",
        UploadOptions.defaults().withMode(Mode.APPEND));
    assertThat(second.parts()).isEqualTo(2);
    assertThat(second.batches()).isEqualTo(STREAM.batches());
    assertThat(second.rows()).isEqualTo(STREAM.totalRows());

    DatasetDescription d = client.describe("log");
    assertThat(d.parts()).isEqualTo(2);
    assertThat(d.rows()).isEqualTo(FILE.totalRows() + STREAM.totalRows());
    assertThat(stored("log")).isEqualTo(ArrowFiles.expectedTable(FILE).concat(ArrowFiles.expectedTable(STREAM)));
  }

  @Test
  void appendingTheSameDictionaryKeepsTheFileFormatDownloadable() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), FILE);
    client.upload(file, "log", UploadOptions.defaults());
    client.upload(file, "log", UploadOptions.defaults().withMode(Mode.APPEND));

    Path out = local.resolve("log.arrow");
    client.download("log", out, DownloadOptions.defaults());
    assertThat(ArrowFiles.read(out)).isEqualTo(ArrowFiles.expectedTable(FILE).concat(ArrowFiles.expectedTable(FILE)));
  }

  @Test
  void appendWithAnotherSchemaIsRefused() throws Exception {
    client.upload(ArrowFiles.write(local.resolve("a.arrow"), FILE), "log", UploadOptions.defaults());
    Path narrower = ArrowFiles.write(local.resolve("b.arrow"), FILE.withoutDictionary());

    assertThatThrownBy(() -> client.upload(narrower, "log", UploadOptions.defaults().withMode(Mode.APPEND)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("log")
        .hasMessageContaining("schema differs");
    assertThat(client.describe("log").parts()).isEqualTo(1);
    assertThat(stored("log")).isEqualTo(ArrowFiles.expectedTable(FILE));
  }

  @Test
  void theServerCompressesWhenAsked() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), FILE);
    client.upload(file, "lz4", UploadOptions.defaults().withCompression(Compression.LZ4));
    client.upload(file, "zstd", UploadOptions.defaults().withCompression(Compression.ZSTD));
    client.upload(file, "plain", UploadOptions.defaults());

    assertThat(client.describe("lz4").compression()).isEqualTo("lz4_frame");
    assertThat(client.describe("zstd").compression()).isEqualTo("zstd");
    assertThat(client.describe("plain").compression()).isEqualTo("none");
    assertThat(stored("lz4")).isEqualTo(ArrowFiles.expectedTable(FILE));
    assertThat(stored("zstd")).isEqualTo(ArrowFiles.expectedTable(FILE));
    // read() decodes compressed batches too (arrow-java finds the codecs of arrow-compression).
    try (BatchStream stream = client.read(ReadRequest.of("zstd").withBatches(1, 2))) {
      assertThat(stream.next()).isTrue();
      assertThat(ArrowFiles.rows(stream.root(), stream.dictionaries()))
          .isEqualTo(ArrowFiles.expectedTable(FILE).batches().get(1));
    }
  }

  @Test
  void uploadsFromAnArrowFileReaderWithItsDictionaries() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), FILE);
    try (BufferAllocator allocator = new RootAllocator();
         ArrowFileReader reader = new ArrowFileReader(FileChannel.open(file), allocator)) {
      UploadResult result = client.upload(reader, "from-reader", UploadOptions.defaults());
      assertThat(result.batches()).isEqualTo(FILE.batches());
      assertThat(result.rows()).isEqualTo(FILE.totalRows());
      assertThat(reader.loadNextBatch()).as("the reader was read to its end").isFalse();
    }
    assertThat(client.describe("from-reader").columns()).extracting(ColumnDescription::dictionaryEncoded)
        .containsExactly(false, false, false, false, false, true);
    assertThat(stored("from-reader")).isEqualTo(ArrowFiles.expectedTable(FILE));
  }

  @Test
  void uploadsFromAnArrowStreamReaderWithItsDictionaries() throws Exception {
    // A stream reader loads the dictionaries only with the first batch: they must still be sent.
    Path file = ArrowFiles.write(local.resolve("a.arrows"), STREAM);
    try (BufferAllocator allocator = new RootAllocator();
         ArrowStreamReader reader = new ArrowStreamReader(Files.newInputStream(file), allocator)) {
      UploadResult result = client.upload(reader, "from-stream-reader", UploadOptions.defaults());
      assertThat(result.batches()).isEqualTo(STREAM.batches());
    }
    assertThat(stored("from-stream-reader")).isEqualTo(ArrowFiles.expectedTable(STREAM));
  }

  @Test
  void aReaderThatReplacesADictionaryIsRefusedRatherThanStoredWrong() throws Exception {
    // arrow-java's Flight put sends dictionaries once, at the start: a replacement cannot be sent.
    Spec windy = Spec.stream(4, 50).replacingDictionaryAt(2);
    Path file = ArrowFiles.write(local.resolve("windy.arrows"), windy);
    try (BufferAllocator allocator = new RootAllocator();
         ArrowStreamReader reader = new ArrowStreamReader(Files.newInputStream(file), allocator)) {
      assertThatThrownBy(() -> client.upload(reader, "windy", UploadOptions.defaults()))
          .isInstanceOf(InvalidRequestException.class).hasMessageContaining("dictionary")
          .hasMessageContaining("windy");
    }
    assertAbsent("windy");
    // The same file uploaded as a file keeps every dictionary.
    assertThat(client.upload(file, "windy", UploadOptions.defaults()).parts()).isEqualTo(2);
    assertThat(stored("windy")).isEqualTo(ArrowFiles.expectedTable(windy));
  }

  @Test
  void aReaderFailingMidwayEndsTheCallAndStoresNothing() throws Exception {
    byte[] whole = Files.readAllBytes(ArrowFiles.write(local.resolve("a.arrows"), STREAM));
    Path cut = Files.write(local.resolve("cut.arrows"), Arrays.copyOf(whole, whole.length * 3 / 4));
    try (BufferAllocator allocator = new RootAllocator();
         ArrowStreamReader reader = new ArrowStreamReader(Files.newInputStream(cut), allocator)) {
      assertThatThrownBy(() -> client.upload(reader, "cut", UploadOptions.defaults()))
          .isInstanceOf(LocalIoException.class).hasMessageContaining("cut");
    }
    assertAbsent("cut"); // includes: the server discarded the staged upload, so the call ended
  }

  @Test
  void uploadsFromAnIteratorOfRootsTheCallerKeeps() throws Exception {
    Spec spec = Spec.file(3, 200).withoutDictionary();
    Schema schema = ArrowFiles.memorySchema(spec);
    List<VectorSchemaRoot> roots = new ArrayList<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      try {
        for (int b = 0; b < spec.batches(); b++) {
          VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          ArrowFiles.fill(root, spec, b);
          roots.add(root);
        }
        List<TransferProgress> seen = Collections.synchronizedList(new ArrayList<>());
        UploadResult result = client.upload(schema, roots.iterator(), "from-roots",
            UploadOptions.defaults().withProgress(seen::add));

        assertThat(result.batches()).isEqualTo(3);
        assertThat(result.rows()).isEqualTo(600);
        assertThat(seen).isNotEmpty();
        assertThat(seen.get(seen.size() - 1).rows()).isEqualTo(600);
        assertThat(seen.get(seen.size() - 1).totalRows()).as("unknown in advance").isEqualTo(-1);
        // The caller still owns intact roots.
        assertThat(((BigIntVector) roots.get(2).getVector("id")).get(0)).isEqualTo(400L);
        assertThat(ArrowFiles.rows(roots.get(1), null)).isEqualTo(ArrowFiles.expectedTable(spec).batches().get(1));
      } finally {
        roots.forEach(VectorSchemaRoot::close);
      }
    }
    assertThat(stored("from-roots")).isEqualTo(ArrowFiles.expectedTable(spec));
  }

  @Test
  void anEmptyIteratorStoresAnEmptyDataset() {
    Spec spec = Spec.file(0, 1).withoutDictionary();
    UploadResult result = client.upload(ArrowFiles.memorySchema(spec), Collections.emptyIterator(), "nothing",
        UploadOptions.defaults());
    assertThat(result.batches()).isZero();
    assertThat(result.rows()).isZero();
    assertThat(client.describe("nothing").rows()).isZero();
    assertThat(client.schema("nothing")).isEqualTo(ArrowFiles.schema(spec));
  }

  @Test
  void aRootWithAnotherSchemaFailsTheIteratorUploadAndStoresNothing() throws Exception {
    Spec spec = Spec.file(1, 10).withoutDictionary();
    Schema other = new Schema(List.of(Field.nullable("x", new ArrowType.Int(32, true))));
    try (BufferAllocator allocator = new RootAllocator();
         VectorSchemaRoot good = VectorSchemaRoot.create(ArrowFiles.memorySchema(spec), allocator);
         VectorSchemaRoot bad = VectorSchemaRoot.create(other, allocator)) {
      ArrowFiles.fill(good, spec, 0);
      bad.allocateNew();
      bad.setRowCount(0);
      Iterator<VectorSchemaRoot> roots = List.of(good, bad).iterator();
      assertThatThrownBy(() -> client.upload(ArrowFiles.memorySchema(spec), roots, "mixed-up",
          UploadOptions.defaults()))
          .isInstanceOf(InvalidRequestException.class).hasMessageContaining("schema");
    }
    assertAbsent("mixed-up");
  }

  @Test
  void aFileThatIsNotArrowIsRefusedBeforeAnythingIsSent() throws Exception {
    Path text = Files.writeString(local.resolve("notes.arrow"), "id,name\n1,a\n2,b\n".repeat(20));
    assertThatThrownBy(() -> client.upload(text, "notes", UploadOptions.defaults()))
        .isInstanceOf(LocalIoException.class).hasMessageContaining("notes.arrow")
        .hasMessageContaining("not a readable Arrow IPC file");
    assertThatThrownBy(() -> client.upload(local.resolve("missing.arrow"), "notes", UploadOptions.defaults()))
        .isInstanceOf(LocalIoException.class).hasMessageContaining("missing.arrow");
    assertThatThrownBy(() -> client.upload(local, "notes", UploadOptions.defaults()))
        .isInstanceOf(LocalIoException.class).hasMessageContaining("not a file");
    assertAbsent("notes");
  }

  @Test
  void aTruncatedFileIsRefused() throws Exception {
    Path file = ArrowFiles.write(local.resolve("whole.arrow"), FILE);
    byte[] bytes = Files.readAllBytes(file);
    Path truncated = Files.write(local.resolve("truncated.arrow"), Arrays.copyOf(bytes, bytes.length / 2));

    assertThatThrownBy(() -> client.upload(truncated, "cut", UploadOptions.defaults()))
        .isInstanceOf(LocalIoException.class).hasMessageContaining("truncated");
    assertAbsent("cut");
  }

  @Test
  void aReservedNameIsRefusedByTheServer() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), FILE);
    assertThatThrownBy(() -> client.upload(file, ".secret/x", UploadOptions.defaults()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining(".secret");
    assertThat(server.dataFiles()).noneMatch(f -> f.startsWith(".secret"));
  }

  @Test
  void progressReportsTheAcknowledgedBatches() throws Exception {
    Path file = ArrowFiles.write(local.resolve("a.arrow"), FILE);
    List<TransferProgress> seen = Collections.synchronizedList(new ArrayList<>());
    client.upload(file, "ds", UploadOptions.defaults().withProgress(seen::add));

    assertThat(seen).isNotEmpty();
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).batches()).isGreaterThanOrEqualTo(seen.get(i - 1).batches());
      assertThat(seen.get(i).rows()).isGreaterThanOrEqualTo(seen.get(i - 1).rows());
    }
    TransferProgress last = seen.get(seen.size() - 1);
    assertThat(last.batches()).isEqualTo(FILE.batches());
    assertThat(last.rows()).isEqualTo(FILE.totalRows()).isEqualTo(last.totalRows());
    assertThat(last.bytes()).isPositive().isLessThanOrEqualTo(last.totalBytes());
  }

  @Test
  void cancellingAFileUploadStoresNothing() throws Exception {
    // ~30 MB: gRPC flow control keeps the client from sending it all before the first acknowledgement.
    Path file = ArrowFiles.write(local.resolve("big.arrow"), Spec.file(16, 40_000));
    Cancellation cancellation = new Cancellation();
    AtomicInteger reports = new AtomicInteger();
    UploadOptions options = UploadOptions.defaults().withCancellation(cancellation).withProgress(p -> {
      if (reports.incrementAndGet() == 1) {
        cancellation.cancel();
      }
    });

    assertThatThrownBy(() -> client.upload(file, "big", options))
        .isInstanceOf(TransferCancelledException.class).hasMessageContaining("nothing was stored");
    assertAbsent("big");
  }

  @Test
  void cancellingAnIteratorUploadStoresNothing() throws Exception {
    Spec spec = Spec.file(1, 100).withoutDictionary();
    Cancellation cancellation = new Cancellation();
    try (BufferAllocator allocator = new RootAllocator();
         VectorSchemaRoot root = VectorSchemaRoot.create(ArrowFiles.memorySchema(spec), allocator)) {
      ArrowFiles.fill(root, spec, 0);
      Iterator<VectorSchemaRoot> endless = new Iterator<>() {
        int served;

        @Override
        public boolean hasNext() {
          return true;
        }

        @Override
        public VectorSchemaRoot next() {
          if (++served == 3) {
            cancellation.cancel();
          }
          return root;
        }
      };
      assertThatThrownBy(() -> client.upload(ArrowFiles.memorySchema(spec), endless, "endless",
          UploadOptions.defaults().withCancellation(cancellation)))
          .isInstanceOf(TransferCancelledException.class).hasMessageContaining("endless");
    }
    assertAbsent("endless");
  }
}
