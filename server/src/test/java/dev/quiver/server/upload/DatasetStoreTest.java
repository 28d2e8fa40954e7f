package dev.quiver.server.upload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.UploadRequest;
import dev.quiver.protocol.UploadRequest.Compression;
import dev.quiver.protocol.UploadRequest.Mode;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.catalog.DatasetExistsException;
import dev.quiver.server.catalog.DatasetNotFoundException;
import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.catalog.OpenDataset;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.ipc.IpcSchema;
import dev.quiver.server.ipc.MappedFile;
import dev.quiver.server.ipc.MessageValidator;
import dev.quiver.server.testing.TestTables;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DatasetStore} and {@link UploadStaging} on a temporary data root: publishing uploads
 * (create, overwrite, append), deleting and renaming, always by atomic renames through the staging
 * directory, which is left empty; a reader holding a version keeps it.
 */
class DatasetStoreTest {
  private static final Spec V1 = Spec.file(2, 10);
  private static final Spec V2 = Spec.file(3, 4);

  @TempDir Path rootDir;
  @TempDir Path scratch;
  private BufferAllocator allocator;
  private int mappingsBefore;
  private Catalog catalog;
  private UploadStaging staging;
  private DatasetStore store;
  private IpcSchema schema;

  @BeforeEach
  void setUp() throws Exception {
    allocator = new RootAllocator();
    mappingsBefore = MappedFile.liveMappings();
    DataRoot root = DataRoot.open(rootDir);
    catalog = new Catalog(root);
    staging = UploadStaging.open(root.path());
    store = new DatasetStore(root, catalog, staging);
    schema = MessageValidator.schema(ArrowFiles.schemaHeader(ArrowFiles.schema()));
  }

  @AfterEach
  void tearDown() {
    catalog.close();
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
    assertThat(MappedFile.liveMappings()).as("mappings left after the catalog closed").isEqualTo(mappingsBefore);
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private static UploadRequest request(String name, Mode mode) {
    return new UploadRequest(DatasetName.parse(name), mode, Compression.NONE);
  }

  /** A complete IPC file in the staging directory, as an upload leaves it before publication. */
  private Path upload(Spec spec) throws IOException {
    return ArrowFiles.write(allocator, staging.newFile(), spec);
  }

  private DatasetStore.Published publish(String name, Mode mode, Spec spec) throws Exception {
    return store.publish(request(name, mode), upload(spec), schema);
  }

  /** Files and directories under the root, relative, sorted, the staging directory left out. */
  private List<String> files() throws IOException {
    Path base = rootDir.toRealPath();
    Path stagingDir = staging.directory();
    try (Stream<Path> walk = Files.walk(base)) {
      return walk.filter(p -> !p.equals(base) && !p.startsWith(stagingDir))
          .map(p -> base.relativize(p).toString()).sorted().toList();
    }
  }

  private List<String> stagingEntries() throws IOException {
    if (!Files.isDirectory(staging.directory())) {
      return List.of(); // created by the first upload only
    }
    try (Stream<Path> list = Files.list(staging.directory())) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Rows of every batch of a dataset as the catalog serves it, decoded by arrow-java. */
  private List<List<List<Object>>> read(String name) throws Exception {
    try (OpenDataset dataset = catalog.open(DatasetName.parse(name))) {
      return readOpen(dataset);
    }
  }

  private List<List<List<Object>>> readOpen(OpenDataset dataset) throws IOException {
    List<List<List<Object>>> batches = new ArrayList<>();
    // Each part is an IPC file of its own; its batches follow the previous part's.
    for (int p = 0; p < dataset.partCount(); p++) {
      MappedFile file = dataset.file(p);
      byte[] bytes = file.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
      batches.addAll(ArrowFiles.read(allocator, bytes).batches());
    }
    return batches;
  }

  private static List<List<List<Object>>> expected(Spec... specs) {
    List<List<List<Object>>> batches = new ArrayList<>();
    for (Spec spec : specs) {
      batches.addAll(ArrowFiles.expected(spec));
    }
    return batches;
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
  }

  // ---- staging ----------------------------------------------------------------------------------------

  @Test
  void stagingIsHiddenInsideTheRootAndCreatedByTheFirstUpload() throws Exception {
    assertThat(staging.directory()).isEqualTo(rootDir.toRealPath().resolve(".quiver-uploads"));
    assertThat(staging.directory()).doesNotExist(); // serving a read-only root writes nothing
    staging.newFile();
    assertThat(staging.directory()).isDirectory();
  }

  @Test
  void openingStagingRemovesWhatACrashLeftAndKeepsTheDirectory() throws Exception {
    Path dir = staging.directory();
    Files.createDirectories(dir);
    Files.write(dir.resolve("a.arrow.tmp"), new byte[100]);
    Files.createDirectories(dir.resolve("b.parts/nested"));
    Files.write(dir.resolve("b.parts/part-000000.arrow"), new byte[10]);
    Files.write(dir.resolve("b.parts/nested/deep"), new byte[10]);
    Files.write(dir.resolve("c.retired"), new byte[10]);
    Files.write(rootDir.resolve("kept.arrow"), new byte[10]); // outside staging: untouched

    UploadStaging reopened = UploadStaging.open(rootDir.toRealPath());
    assertThat(reopened.directory()).isEqualTo(dir).isDirectory();
    assertThat(stagingEntries()).isEmpty();
    assertThat(rootDir.resolve("kept.arrow")).exists();
  }

  @Test
  void newFileAndNewPath() throws Exception {
    Path a = staging.newFile();
    Path b = staging.newFile();
    assertThat(a).isNotEqualTo(b).isRegularFile().hasParent(staging.directory());
    assertThat(Files.size(a)).isZero();
    assertThat(a.getFileName().toString()).endsWith(".arrow.tmp");
    Path fresh = staging.newPath(".parts");
    assertThat(fresh).doesNotExist();
    assertThat(fresh.getParent()).isEqualTo(staging.directory());
    assertThat(fresh.getFileName().toString()).endsWith(".parts");
  }

  @Test
  void deleteTreeRemovesFilesAndDirectoriesAndIgnoresWhatIsGone() throws Exception {
    Path tree = scratch.resolve("tree");
    Files.createDirectories(tree.resolve("a/b"));
    Files.write(tree.resolve("a/b/c"), new byte[3]);
    Files.write(tree.resolve("top"), new byte[3]);
    UploadStaging.deleteTree(tree);
    assertThat(tree).doesNotExist();
    Path file = Files.write(scratch.resolve("file"), new byte[3]);
    UploadStaging.deleteTree(file);
    assertThat(file).doesNotExist();
    assertThatCode(() -> UploadStaging.deleteTree(scratch.resolve("never"))).doesNotThrowAnyException();
  }

  // ---- create -----------------------------------------------------------------------------------------

  @Test
  void createMovesTheUploadIntoPlace() throws Exception {
    Path upload = upload(V1);
    Object key = fileKey(upload);
    DatasetStore.Published published = store.publish(request("sales/2024", Mode.CREATE), upload, schema);
    Path target = rootDir.toRealPath().resolve("sales/2024.arrow");
    assertThat(published).isEqualTo(new DatasetStore.Published(DatasetName.parse("sales/2024"), target, 1));
    assertThat(fileKey(target)).as("renamed, not copied").isEqualTo(key);
    assertThat(upload).doesNotExist();
    assertThat(stagingEntries()).isEmpty();
    assertThat(files()).containsExactly("sales", "sales/2024.arrow");
    assertThat(read("sales/2024")).isEqualTo(expected(V1));
    assertThat(catalog.names()).extracting(Object::toString).containsExactly("sales/2024");
  }

  @Test
  void createOfAnExistingDatasetFailsDeletesTheUploadAndKeepsTheDataset() throws Exception {
    publish("t", Mode.CREATE, V1);
    byte[] before = Files.readAllBytes(rootDir.resolve("t.arrow"));
    Path second = upload(V2);
    assertThatThrownBy(() -> store.publish(request("t", Mode.CREATE), second, schema))
        .isInstanceOf(DatasetExistsException.class).hasMessageContaining("already exists");
    assertThat(second).doesNotExist();
    assertThat(stagingEntries()).isEmpty();
    assertThat(Files.readAllBytes(rootDir.resolve("t.arrow"))).isEqualTo(before);
  }

  @Test
  void createSeesEveryFormOfTheName() throws Exception {
    ArrowFiles.write(allocator, rootDir.resolve("f.feather"), V1);
    ArrowFiles.write(allocator, rootDir.resolve("s.arrows"), Spec.stream(1, 5));
    Files.createDirectories(rootDir.resolve("p.parts"));
    ArrowFiles.write(allocator, rootDir.resolve("p.parts/part-000000.arrow"), V1);
    for (String name : List.of("f", "s", "p")) {
      assertThatThrownBy(() -> store.checkCanStart(request(name, Mode.CREATE), schema))
          .isInstanceOf(DatasetExistsException.class);
      assertThatThrownBy(() -> publish(name, Mode.CREATE, V2)).isInstanceOf(DatasetExistsException.class);
    }
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void checkCanStartRefusesWhatCannotSucceed() throws Exception {
    assertThatCode(() -> store.checkCanStart(request("new", Mode.CREATE), schema)).doesNotThrowAnyException();
    assertThatCode(() -> store.checkCanStart(request("new", Mode.APPEND), schema)).doesNotThrowAnyException();
    publish("t", Mode.CREATE, V1);
    assertThatThrownBy(() -> store.checkCanStart(request("t", Mode.CREATE), schema))
        .isInstanceOf(DatasetExistsException.class);
    assertThatCode(() -> store.checkCanStart(request("t", Mode.OVERWRITE), schema)).doesNotThrowAnyException();
    assertThatCode(() -> store.checkCanStart(request("t", Mode.APPEND), schema)).doesNotThrowAnyException();
    IpcSchema mixed = MessageValidator.schema(ArrowFiles.schemaHeader(TestTables.mixedSchemaOnWire()));
    assertThatThrownBy(() -> store.checkCanStart(request("t", Mode.APPEND), mixed))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("cannot append to dataset 't': the schema differs (columns are [id, name, score, tags,"
            + " category], expected [id, name, score, tags, point, category])");
    assertThatThrownBy(() -> store.checkCanStart(request("a/.hidden/b", Mode.CREATE), schema))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("reserved");
    assertThatThrownBy(() -> store.checkCanStart(request(".quiver-uploads/x", Mode.OVERWRITE), schema))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("reserved");
  }

  // ---- overwrite --------------------------------------------------------------------------------------

  @Test
  void overwriteReplacesEveryFormOfTheDataset() throws Exception {
    publish("t", Mode.APPEND, V1);
    publish("t", Mode.APPEND, V1);
    ArrowFiles.write(allocator, rootDir.resolve("t.feather"), V1);
    ArrowFiles.write(allocator, rootDir.resolve("t.arrows"), Spec.stream(1, 3));
    assertThat(files()).contains("t.parts", "t.feather", "t.arrows");
    DatasetStore.Published published = publish("t", Mode.OVERWRITE, V2);
    assertThat(published.parts()).isEqualTo(1);
    assertThat(files()).containsExactly("t.arrow");
    assertThat(read("t")).isEqualTo(expected(V2));
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void overwriteOfAMissingDatasetCreatesIt() throws Exception {
    publish("n/new", Mode.OVERWRITE, V2);
    assertThat(files()).containsExactly("n", "n/new.arrow");
  }

  @Test
  void aReaderHoldingTheOldVersionKeepsItAcrossOverwriteAndDelete() throws Exception {
    publish("t", Mode.CREATE, V1);
    try (OpenDataset old = catalog.open(DatasetName.parse("t"))) {
      publish("t", Mode.OVERWRITE, V2);
      assertThat(read("t")).isEqualTo(expected(V2));
      assertThat(readOpen(old)).isEqualTo(expected(V1));
      store.delete(DatasetName.parse("t"));
      assertThat(readOpen(old)).isEqualTo(expected(V1));
    }
    assertThat(files()).isEmpty();
    assertThat(stagingEntries()).isEmpty();
  }

  // ---- append -----------------------------------------------------------------------------------------

  @Test
  void appendCreatesThenBuildsAPartsDirectory() throws Exception {
    Spec v3 = Spec.file(1, 7);
    assertThat(publish("log", Mode.APPEND, V1).parts()).isEqualTo(1);
    assertThat(files()).containsExactly("log.arrow");
    Object firstKey = fileKey(rootDir.resolve("log.arrow"));

    DatasetStore.Published second = publish("log", Mode.APPEND, V2);
    assertThat(second.parts()).isEqualTo(2);
    assertThat(second.path()).isEqualTo(rootDir.toRealPath().resolve("log.parts"));
    assertThat(files()).containsExactly("log.parts", "log.parts/part-000000.arrow", "log.parts/part-000001.arrow");
    assertThat(fileKey(rootDir.resolve("log.parts/part-000000.arrow"))).as("hard link").isEqualTo(firstKey);

    assertThat(publish("log", Mode.APPEND, v3).parts()).isEqualTo(3);
    assertThat(files()).endsWith("log.parts/part-000002.arrow");
    assertThat(read("log")).isEqualTo(expected(V1, V2, v3));
    try (OpenDataset dataset = catalog.open(DatasetName.parse("log"))) {
      assertThat(dataset.partCount()).isEqualTo(3);
      assertThat(dataset.index().totalRows()).isEqualTo(20 + 12 + 7);
    }
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void appendKeepsTheExtensionOfTheFirstFile() throws Exception {
    ArrowFiles.write(allocator, rootDir.resolve("s.arrows"), Spec.stream(2, 5));
    publish("s", Mode.APPEND, V2);
    assertThat(files()).containsExactly("s.parts", "s.parts/part-000000.arrows", "s.parts/part-000001.arrow");
    assertThat(read("s")).isEqualTo(expected(Spec.stream(2, 5), V2));
  }

  @Test
  void appendWithAnotherSchemaIsRefusedAtPublicationToo() throws Exception {
    publish("t", Mode.CREATE, V1);
    Path mixed = TestTables.writeMixed(allocator, staging.newPath(".arrow"), 1, 5, false);
    IpcSchema mixedSchema = MessageValidator.schema(ArrowFiles.schemaHeader(TestTables.mixedSchemaOnWire()));
    assertThatThrownBy(() -> store.publish(request("t", Mode.APPEND), mixed, mixedSchema))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("the schema differs");
    assertThat(mixed).doesNotExist();
    assertThat(files()).containsExactly("t.arrow");
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void appendAddsThePartAfterEveryExistingPartEvenWithGapsInTheNumbering() throws Exception {
    // Parts 1 and 2 were removed by hand: 0 and 3 are left. The appended batches come after the
    // existing ones, so the new part must sort after part-000003.
    Files.createDirectories(rootDir.resolve("g.parts"));
    ArrowFiles.write(allocator, rootDir.resolve("g.parts/part-000000.arrow"), V1);
    ArrowFiles.write(allocator, rootDir.resolve("g.parts/part-000003.arrow"), V2);
    Spec v3 = Spec.file(1, 3);
    publish("g", Mode.APPEND, v3);
    List<String> parts;
    try (Stream<Path> list = Files.list(rootDir.resolve("g.parts"))) {
      parts = list.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertThat(parts).hasSize(3);
    assertThat(parts.get(2)).as("the new part is read last").isGreaterThan("part-000003.arrow");
    assertThat(read("g")).isEqualTo(expected(V1, V2, v3));
  }

  @Test
  void concurrentAppendsAllLand() throws Exception {
    int writers = 8;
    List<Path> uploads = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      uploads.add(upload(Spec.file(1, i + 1)));
    }
    List<Integer> parts = runTogether(writers, i -> store.publish(request("c", Mode.APPEND), uploads.get(i), schema)
        .parts());
    assertThat(parts).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8);
    try (OpenDataset dataset = catalog.open(DatasetName.parse("c"))) {
      assertThat(dataset.partCount()).isEqualTo(writers);
      assertThat(dataset.index().totalRows()).isEqualTo(writers * (writers + 1) / 2);
    }
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void concurrentCreatesOneWins() throws Exception {
    int writers = 6;
    List<Path> uploads = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      uploads.add(upload(Spec.file(1, i + 1)));
    }
    List<Object> outcomes = runTogether(writers, i -> {
      try {
        return store.publish(request("one", Mode.CREATE), uploads.get(i), schema);
      } catch (DatasetExistsException e) {
        return e;
      }
    });
    assertThat(outcomes).filteredOn(o -> o instanceof DatasetStore.Published).hasSize(1);
    assertThat(outcomes).filteredOn(o -> o instanceof DatasetExistsException).hasSize(writers - 1);
    assertThat(files()).containsExactly("one.arrow");
    assertThat(stagingEntries()).isEmpty();
    uploads.forEach(u -> assertThat(u).doesNotExist());
  }

  private interface Task<T> {
    T run(int index) throws Exception;
  }

  /** Runs {@code n} tasks released at the same moment; their results in task order. */
  private static <T> List<T> runTogether(int n, Task<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int index = i;
        futures.add(pool.submit((Callable<T>) () -> {
          start.await();
          return task.run(index);
        }));
      }
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> future : futures) {
        try {
          results.add(future.get(30, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          throw new AssertionError("a concurrent task failed", e.getCause());
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- uploads that needed several files (a stream that replaced a dictionary) -----------------------

  private DatasetStore.Published publishParts(String name, Mode mode, Spec... specs) throws Exception {
    List<Path> uploads = new ArrayList<>();
    for (Spec spec : specs) {
      uploads.add(upload(spec));
    }
    return store.publish(request(name, mode), uploads, schema);
  }

  @Test
  void aMultiFileUploadIsPublishedAsOnePartsDirectory() throws Exception {
    DatasetStore.Published published = publishParts("m/t", Mode.CREATE, V1, V2);
    assertThat(published.parts()).isEqualTo(2);
    assertThat(published.path()).isEqualTo(rootDir.toRealPath().resolve("m/t.parts"));
    assertThat(files()).containsExactly("m", "m/t.parts", "m/t.parts/part-000000.arrow", "m/t.parts/part-000001.arrow");
    assertThat(read("m/t")).isEqualTo(expected(V1, V2));
    assertThat(stagingEntries()).isEmpty();

    assertThatThrownBy(() -> publishParts("m/t", Mode.CREATE, V2, V1)).isInstanceOf(DatasetExistsException.class);
    assertThat(read("m/t")).isEqualTo(expected(V1, V2));
    assertThat(stagingEntries()).as("the refused uploads are deleted").isEmpty();
  }

  @Test
  void overwritingASingleFileWithPartsLeavesOnlyTheParts() throws Exception {
    publish("t", Mode.CREATE, V1);
    try (OpenDataset old = catalog.open(DatasetName.parse("t"))) {
      publishParts("t", Mode.OVERWRITE, V2, V2, V1);
      assertThat(files()).containsExactly("t.parts", "t.parts/part-000000.arrow", "t.parts/part-000001.arrow",
          "t.parts/part-000002.arrow");
      assertThat(read("t")).isEqualTo(expected(V2, V2, V1));
      assertThat(readOpen(old)).isEqualTo(expected(V1));
    }
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void overwritingPartsWithPartsSwapsTheDirectoriesWhileAReaderKeepsTheOldOnes() throws Exception {
    publishParts("t", Mode.CREATE, V1, V1);
    Object oldDirectory = fileKey(rootDir.resolve("t.parts"));
    try (OpenDataset old = catalog.open(DatasetName.parse("t"))) {
      publishParts("t", Mode.OVERWRITE, V2, V1, V2);
      assertThat(fileKey(rootDir.resolve("t.parts"))).as("a new directory took the name").isNotEqualTo(oldDirectory);
      assertThat(read("t")).isEqualTo(expected(V2, V1, V2));
      assertThat(readOpen(old)).isEqualTo(expected(V1, V1));
    }
    assertThat(files()).hasSize(4);
    assertThat(stagingEntries()).as("the old directory is deleted").isEmpty();
  }

  @Test
  void overwritingPartsWithOneFileLeavesOnlyTheFile() throws Exception {
    publishParts("t", Mode.CREATE, V1, V1);
    publish("t", Mode.OVERWRITE, V2);
    assertThat(files()).containsExactly("t.arrow");
    assertThat(read("t")).isEqualTo(expected(V2));
  }

  @Test
  void appendingSeveralFilesAddsThemAllInOneStep() throws Exception {
    Spec v3 = Spec.file(1, 7);
    publish("log", Mode.CREATE, V1);
    Object firstKey = fileKey(rootDir.resolve("log.arrow"));
    assertThat(publishParts("log", Mode.APPEND, V2, v3).parts()).isEqualTo(3);
    assertThat(files()).containsExactly("log.parts", "log.parts/part-000000.arrow", "log.parts/part-000001.arrow",
        "log.parts/part-000002.arrow");
    assertThat(fileKey(rootDir.resolve("log.parts/part-000000.arrow"))).as("hard link").isEqualTo(firstKey);

    // Onto an existing parts directory: the existing parts are linked into a new directory that
    // replaces the old one atomically, so a reader never sees only some of the new parts.
    Object secondKey = fileKey(rootDir.resolve("log.parts/part-000001.arrow"));
    assertThat(publishParts("log", Mode.APPEND, v3, V1).parts()).isEqualTo(5);
    assertThat(fileKey(rootDir.resolve("log.parts/part-000001.arrow"))).isEqualTo(secondKey);
    assertThat(read("log")).isEqualTo(expected(V1, V2, v3, v3, V1));
    assertThat(files()).hasSize(6);
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void directoryExchangeSwapsTwoDirectories() throws Exception {
    Path a = Files.createDirectories(scratch.resolve("a"));
    Path b = Files.createDirectories(scratch.resolve("b"));
    Files.writeString(a.resolve("from-a"), "a");
    Files.writeString(b.resolve("from-b"), "b");
    assertThat(DirectoryExchange.exchange(a, b)).as("renameat2 works on Linux").isTrue();
    assertThat(a.resolve("from-b")).exists();
    assertThat(b.resolve("from-a")).exists();
    assertThat(DirectoryExchange.exchange(a, scratch.resolve("missing"))).isFalse();
    assertThat(a.resolve("from-b")).as("a failed exchange changes nothing").exists();
  }

  // ---- names that reach into a parts directory ---------------------------------------------------

  @Test
  void aNameInsideAnotherDatasetsPartsDirectoryIsRefused() throws Exception {
    publish("x", Mode.APPEND, V1);
    publish("x", Mode.APPEND, V1);
    List<String> before = files();
    // "x.parts/part-000009" would be stored as x.parts/part-000009.arrow: a third part of x.
    Path intruder = TestTables.writeMixed(allocator, staging.newPath(".arrow"), 1, 5, false);
    IpcSchema mixedSchema = MessageValidator.schema(ArrowFiles.schemaHeader(TestTables.mixedSchemaOnWire()));
    assertThatThrownBy(() -> {
      store.checkCanStart(request("x.parts/part-000009", Mode.CREATE), mixedSchema);
      store.publish(request("x.parts/part-000009", Mode.CREATE), intruder, mixedSchema);
    }).isInstanceOf(ProtocolException.class);
    Files.deleteIfExists(intruder);
    assertThat(files()).isEqualTo(before);
    assertThat(read("x")).isEqualTo(expected(V1, V1));
  }

  @Test
  void deleteAndRenameDoNotTakePartsOutOfADataset() throws Exception {
    publish("x", Mode.APPEND, V1);
    publish("x", Mode.APPEND, V2);
    List<String> before = files();
    assertThatThrownBy(() -> store.delete(DatasetName.parse("x.parts/part-000000")))
        .isInstanceOfAny(DatasetNotFoundException.class, ProtocolException.class);
    assertThatThrownBy(() -> store.rename(DatasetName.parse("x.parts/part-000001"), DatasetName.parse("y"), false))
        .isInstanceOfAny(DatasetNotFoundException.class, ProtocolException.class);
    assertThat(files()).isEqualTo(before);
    assertThat(read("x")).isEqualTo(expected(V1, V2));
  }

  @Test
  void aPartsDatasetWhosePartsDisagreeStaysUnreadableWithoutCorruptingTheCatalog() throws Exception {
    // Parts put together by hand with different schemas: every attempt to use the dataset must fail
    // the same way, and the catalog's bookkeeping of mappings must stay right (close() releases).
    Files.createDirectories(rootDir.resolve("m.parts"));
    ArrowFiles.write(allocator, rootDir.resolve("m.parts/part-000000.arrow"), V1);
    TestTables.writeMixed(allocator, rootDir.resolve("m.parts/part-000001.arrow"), 1, 5, false);
    for (int attempt = 0; attempt < 3; attempt++) {
      assertThatThrownBy(() -> store.checkCanStart(request("m", Mode.APPEND), schema))
          .as("attempt %d", attempt)
          .isInstanceOf(DatasetUnreadableException.class)
          .hasMessageContaining("part 1 has a different schema from part 0");
    }
    assertThatCode(catalog::invalidate).doesNotThrowAnyException();
  }

  // ---- delete -----------------------------------------------------------------------------------------

  @Test
  void deleteRemovesEveryFormAndLeavesStagingEmpty() throws Exception {
    publish("d/t", Mode.APPEND, V1);
    publish("d/t", Mode.APPEND, V2);
    ArrowFiles.write(allocator, rootDir.resolve("d/t.feather"), V1);
    publish("d/other", Mode.CREATE, V1);
    store.delete(DatasetName.parse("d/t"));
    assertThat(files()).containsExactly("d", "d/other.arrow");
    assertThat(stagingEntries()).isEmpty();
    assertThatThrownBy(() -> catalog.open(DatasetName.parse("d/t"))).isInstanceOf(DatasetNotFoundException.class);
  }

  @Test
  void deleteRenameAndOverwriteLetTheCatalogsMappingsGoAtOnce() throws Exception {
    // Found by the soak (bench/soak.py): datasets uploaded, read and deleted stayed mapped, pinning
    // their disk space, until their name was looked up again. Each change now releases what it removed.
    publish("gone", Mode.APPEND, V1);
    publish("gone", Mode.APPEND, V2);
    publish("moved", Mode.CREATE, V1);
    publish("replaced", Mode.CREATE, V1);
    publish("parts", Mode.APPEND, V1);
    publish("parts", Mode.APPEND, V2);
    for (String name : List.of("gone", "moved", "replaced", "parts")) {
      read(name); // cached and mapped by the catalog
    }
    assertThat(MappedFile.liveMappings() - mappingsBefore).isEqualTo(6);

    store.delete(DatasetName.parse("gone"));
    assertThat(MappedFile.liveMappings() - mappingsBefore).as("after delete").isEqualTo(4);
    store.rename(DatasetName.parse("moved"), DatasetName.parse("elsewhere"), false);
    assertThat(MappedFile.liveMappings() - mappingsBefore).as("after rename").isEqualTo(3);
    publish("replaced", Mode.OVERWRITE, V2);
    assertThat(MappedFile.liveMappings() - mappingsBefore).as("after overwrite of a file").isEqualTo(2);
    store.publish(request("parts", Mode.OVERWRITE), List.of(upload(V2), upload(V1)), schema);
    assertThat(MappedFile.liveMappings() - mappingsBefore).as("after overwrite of parts by parts").isZero();
    assertThat(catalog.cachedFiles()).isZero();
    assertThat(read("parts")).isEqualTo(expected(V2, V1));
    assertThat(read("elsewhere")).isEqualTo(expected(V1));
  }

  @Test
  void deleteOfAMissingDatasetIsNotFound() {
    assertThatThrownBy(() -> store.delete(DatasetName.parse("nothing")))
        .isInstanceOf(DatasetNotFoundException.class);
  }

  @Test
  void deleteDoesNotTouchFilesThatAreNotDatasets() throws Exception {
    Files.writeString(rootDir.resolve("notes"), "plain text, same name without extension");
    publish("notes", Mode.CREATE, V1);
    store.delete(DatasetName.parse("notes"));
    assertThat(files()).containsExactly("notes");
  }

  // ---- rename -----------------------------------------------------------------------------------------

  @Test
  void renameMovesAFileKeepingItsExtension() throws Exception {
    ArrowFiles.write(allocator, rootDir.resolve("a.feather"), V1);
    Path target = store.rename(DatasetName.parse("a"), DatasetName.parse("deep/er/b"), false);
    assertThat(target).isEqualTo(rootDir.toRealPath().resolve("deep/er/b.feather"));
    assertThat(files()).containsExactly("deep", "deep/er", "deep/er/b.feather");
    assertThat(read("deep/er/b")).isEqualTo(expected(V1));
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void renameMovesAPartsDirectory() throws Exception {
    publish("p", Mode.APPEND, V1);
    publish("p", Mode.APPEND, V2);
    Path target = store.rename(DatasetName.parse("p"), DatasetName.parse("q"), false);
    assertThat(target).isEqualTo(rootDir.toRealPath().resolve("q.parts"));
    assertThat(files()).containsExactly("q.parts", "q.parts/part-000000.arrow", "q.parts/part-000001.arrow");
    assertThat(read("q")).isEqualTo(expected(V1, V2));
  }

  @Test
  void renameOntoAnExistingDatasetNeedsOverwrite() throws Exception {
    publish("a", Mode.CREATE, V1);
    publish("b", Mode.APPEND, V2);
    publish("b", Mode.APPEND, V2);
    assertThatThrownBy(() -> store.rename(DatasetName.parse("a"), DatasetName.parse("b"), false))
        .isInstanceOf(DatasetExistsException.class);
    assertThat(files()).containsExactly("a.arrow", "b.parts", "b.parts/part-000000.arrow", "b.parts/part-000001.arrow");
    store.rename(DatasetName.parse("a"), DatasetName.parse("b"), true);
    assertThat(files()).containsExactly("b.arrow");
    assertThat(read("b")).isEqualTo(expected(V1));
    assertThat(stagingEntries()).isEmpty();
  }

  @Test
  void renameLeavesNoOtherFormOfTheOldNameBehind() throws Exception {
    // x.arrow and a stale, shadowed x.feather: the dataset "x" is x.arrow. After moving it to y, the
    // name x must be free (as after delete, which removes every form), not resurface as x.feather.
    ArrowFiles.write(allocator, rootDir.resolve("x.arrow"), V1);
    ArrowFiles.write(allocator, rootDir.resolve("x.feather"), V2);
    store.rename(DatasetName.parse("x"), DatasetName.parse("y"), false);
    assertThat(read("y")).isEqualTo(expected(V1));
    assertThat(catalog.locate(DatasetName.parse("x"))).as("what the name x resolves to after the rename").isEmpty();
  }

  @Test
  void renameErrors() throws Exception {
    publish("a", Mode.CREATE, V1);
    assertThatThrownBy(() -> store.rename(DatasetName.parse("missing"), DatasetName.parse("x"), true))
        .isInstanceOf(DatasetNotFoundException.class);
    assertThatThrownBy(() -> store.rename(DatasetName.parse("a"), DatasetName.parse("a"), true))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("to itself");
    assertThatThrownBy(() -> store.rename(DatasetName.parse("a"), DatasetName.parse(".hidden"), true))
        .isInstanceOf(ProtocolException.class).hasMessageContaining("reserved");
    assertThat(files()).containsExactly("a.arrow");
  }

  @Test
  void oppositeRenamesAtTheSameTimeDoNotDeadlock() throws Exception {
    for (int round = 0; round < 20; round++) {
      publish("l" + round, Mode.CREATE, V1);
      publish("r" + round, Mode.CREATE, V2);
      String left = "l" + round;
      String right = "r" + round;
      List<Object> outcomes = runTogether(2, i -> {
        try {
          return i == 0
              ? store.rename(DatasetName.parse(left), DatasetName.parse(right), true)
              : store.rename(DatasetName.parse(right), DatasetName.parse(left), true);
        } catch (DatasetNotFoundException e) {
          return e; // the other rename moved this one's source first
        }
      });
      assertThat(outcomes).filteredOn(o -> o instanceof Path).isNotEmpty();
      assertThat(catalog.locate(DatasetName.parse(left)).isPresent() ^ catalog.locate(DatasetName.parse(right)).isPresent())
          .as("exactly one of the two names is left").isTrue();
    }
    assertThat(stagingEntries()).isEmpty();
  }
}
