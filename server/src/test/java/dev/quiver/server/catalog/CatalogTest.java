package dev.quiver.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Codec;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.ipc.IpcFormat;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.MappedFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CatalogTest {
  private static final Spec V1 = Spec.file(2, 10);
  private static final Spec V2 = Spec.file(3, 7).compressed(Codec.ZSTD);

  @TempDir Path rootDir;
  private BufferAllocator allocator;
  private int mappingsBefore;
  private long mappedBytesBefore;
  private Catalog catalog;

  @BeforeEach
  void setUp() throws IOException {
    allocator = new RootAllocator();
    mappingsBefore = MappedFile.liveMappings();
    mappedBytesBefore = MappedFile.liveMappedBytes();
    catalog = new Catalog(DataRoot.open(rootDir));
  }

  @AfterEach
  void tearDown() {
    catalog.close();
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
    // the leak check: every mapping the test made is gone once datasets and catalog are closed
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
    assertThat(MappedFile.liveMappedBytes()).isEqualTo(mappedBytesBefore);
  }

  private static DatasetName name(String text) {
    return DatasetName.parse(text);
  }

  /** Writes {@code spec} to a hidden temporary file, then renames it over {@code relative} atomically. */
  private Path publish(String relative, Spec spec) throws IOException {
    Path target = rootDir.resolve(relative);
    Files.createDirectories(target.getParent());
    Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
    ArrowFiles.write(allocator, temporary, spec);
    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  private Path publish(String relative, byte[] bytes) throws IOException {
    Path target = rootDir.resolve(relative);
    Files.createDirectories(target.getParent());
    Path temporary = target.resolveSibling("." + target.getFileName() + ".tmp");
    Files.write(temporary, bytes);
    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  /** Everything the open dataset's mapping holds, decoded as the server would send it. */
  private List<List<List<Object>>> contents(OpenDataset dataset) throws IOException {
    byte[] stream = ArrowFiles.reassemble(dataset.file(), dataset.index(), 0, dataset.index().batchCount());
    return ArrowFiles.read(allocator, stream).batches();
  }

  @Test
  void opensADataset() throws Exception {
    Path file = publish("sales/2024.arrow", V1);
    try (OpenDataset dataset = catalog.open(name("sales/2024"))) {
      assertThat(dataset.name()).isEqualTo(name("sales/2024"));
      assertThat(dataset.path().toRealPath()).isEqualTo(file.toRealPath());
      assertThat(dataset.index().format()).isEqualTo(IpcFormat.FILE);
      assertThat(dataset.index().batchCount()).isEqualTo(V1.batches());
      assertThat(dataset.file().size()).isEqualTo(Files.size(file));
      assertThat(contents(dataset)).isEqualTo(ArrowFiles.expected(V1));
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    }
    assertThat(catalog.cachedFiles()).isEqualTo(1);
    // the catalog keeps its own reference until it is closed or the file goes away
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
  }

  @Test
  void opensAStreamFormatDataset() throws Exception {
    Spec spec = Spec.stream(3, 5).withoutEndOfStream();
    publish("events.arrows", spec);
    try (OpenDataset dataset = catalog.open(name("events"))) {
      assertThat(dataset.index().format()).isEqualTo(IpcFormat.STREAM);
      assertThat(contents(dataset)).isEqualTo(ArrowFiles.expected(spec));
    }
  }

  @Test
  void repeatedOpensShareOneMapping() throws Exception {
    publish("a.arrow", V1);
    try (OpenDataset first = catalog.open(name("a"));
         OpenDataset second = catalog.open(name("a"))) {
      assertThat(second.file()).isSameAs(first.file());
      assertThat(second.index()).isSameAs(first.index());
      assertThat(first.file().refCount()).isEqualTo(3); // catalog + two readers
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    }
  }

  @Test
  void closingAnOpenDatasetTwiceReleasesOnce() throws Exception {
    publish("a.arrow", V1);
    OpenDataset dataset = catalog.open(name("a"));
    MappedFile file = dataset.file();
    assertThat(file.refCount()).isEqualTo(2);
    dataset.close();
    dataset.close();
    assertThat(file.refCount()).isEqualTo(1);
  }

  @Test
  void missingDatasetIsNotFound() {
    assertThatThrownBy(() -> catalog.open(name("nope")))
        .isInstanceOf(DatasetNotFoundException.class)
        .hasMessage("dataset 'nope' not found");
    assertThatThrownBy(() -> catalog.open(name("a/b/c")))
        .isInstanceOf(DatasetNotFoundException.class)
        .hasMessageContaining("'a/b/c'");
    assertThat(catalog.cachedFiles()).isZero();
  }

  @Test
  void corruptFileIsUnreadableAndNamesTheDataset() throws Exception {
    publish("good.arrow", V1);
    byte[] bytes = ArrowFiles.bytes(allocator, V1);
    publish("broken.arrow", Arrays.copyOf(bytes, bytes.length - 100));
    publish("garbage.arrow", "this is not arrow".getBytes(StandardCharsets.UTF_8));
    publish("nested/empty.feather", new byte[0]);

    for (String broken : List.of("broken", "garbage", "nested/empty")) {
      for (int attempt = 0; attempt < 2; attempt++) { // the second answer comes from the cache
        assertThatThrownBy(() -> catalog.open(name(broken)))
            .as(broken)
            .isInstanceOf(DatasetUnreadableException.class)
            .hasMessageContaining("dataset '" + broken + "'")
            .hasMessageContaining("not a valid Arrow IPC file")
            .hasCauseInstanceOf(IpcFormatException.class);
      }
    }
    assertThatThrownBy(() -> catalog.open(name("broken")))
        .hasMessageContaining("file 'broken.arrow'");
    // broken files keep no mapping
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);

    try (OpenDataset good = catalog.open(name("good"))) {
      assertThat(contents(good)).isEqualTo(ArrowFiles.expected(V1));
    }
    assertThat(catalog.names()).extracting(DatasetName::toString)
        .containsExactly("broken", "garbage", "good", "nested/empty");
  }

  @Test
  void fixingABrokenFileMakesItReadable() throws Exception {
    publish("t.arrow", "not yet".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> catalog.open(name("t"))).isInstanceOf(DatasetUnreadableException.class);
    publish("t.arrow", V1);
    try (OpenDataset dataset = catalog.open(name("t"))) {
      assertThat(contents(dataset)).isEqualTo(ArrowFiles.expected(V1));
    }
  }

  @Test
  void replacedFileIsSeenWhileTheOldVersionStaysReadable() throws Exception {
    publish("t.arrow", V1);
    OpenDataset old = catalog.open(name("t"));
    try {
      MappedFile oldFile = old.file();
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);

      publish("t.arrow", V2);
      try (OpenDataset current = catalog.open(name("t"))) {
        assertThat(current.file()).isNotSameAs(oldFile);
        assertThat(current.index().batchCount()).isEqualTo(V2.batches());
        assertThat(current.index().compressed()).isTrue();
        assertThat(contents(current)).isEqualTo(ArrowFiles.expected(V2));
        assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 2);
      }
      // the catalog let go of the old version; only the reader holds it, and it still reads the old bytes
      assertThat(oldFile.refCount()).isEqualTo(1);
      assertThat(old.index().batchCount()).isEqualTo(V1.batches());
      assertThat(contents(old)).isEqualTo(ArrowFiles.expected(V1));
      assertThat(catalog.cachedFiles()).isEqualTo(1);
    } finally {
      old.close();
    }
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
  }

  @Test
  void deletedFileIsNotFoundButAnOpenReaderKeepsIt() throws Exception {
    Path file = publish("gone.arrow", V1);
    OpenDataset old = catalog.open(name("gone"));
    try {
      Files.delete(file);
      assertThatThrownBy(() -> catalog.open(name("gone"))).isInstanceOf(DatasetNotFoundException.class);
      assertThat(contents(old)).isEqualTo(ArrowFiles.expected(V1));
      assertThat(catalog.names()).isEmpty();
      assertThat(catalog.cachedFiles()).as("listing evicts files that disappeared").isZero();
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    } finally {
      old.close();
    }
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  @Test
  void deletedFileIsUnmappedOnceTheCatalogSeesItGone() throws Exception {
    // A lookup that finds the file gone must let the catalog's mapping go: it pins the deleted
    // file's disk blocks and address space. Without a listing in between, nothing else would.
    Path file = publish("big.arrow", V1);
    try (OpenDataset dataset = catalog.open(name("big"))) {
      assertThat(dataset.index().batchCount()).isEqualTo(V1.batches());
    }
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    Files.delete(file);
    assertThatThrownBy(() -> catalog.open(name("big"))).isInstanceOf(DatasetNotFoundException.class);
    assertThat(MappedFile.liveMappings()).as("mappings after the deleted file was looked up").isEqualTo(mappingsBefore);
    assertThat(catalog.cachedFiles()).isZero();
  }

  @Test
  void deletedAndRecreatedFileIsReadAgain() throws Exception {
    Path file = publish("r.arrow", V1);
    try (OpenDataset dataset = catalog.open(name("r"))) {
      assertThat(dataset.index().batchCount()).isEqualTo(V1.batches());
    }
    Files.delete(file);
    assertThatThrownBy(() -> catalog.open(name("r"))).isInstanceOf(DatasetNotFoundException.class);
    publish("r.arrow", V2);
    try (OpenDataset dataset = catalog.open(name("r"))) {
      assertThat(contents(dataset)).isEqualTo(ArrowFiles.expected(V2));
    }
  }

  @Test
  void closingTheCatalogLeavesOpenDatasetsReadable() throws Exception {
    publish("a.arrow", V1);
    publish("b.arrow", V2);
    OpenDataset a = catalog.open(name("a"));
    OpenDataset b = catalog.open(name("b"));
    catalog.close();
    assertThatThrownBy(() -> catalog.open(name("a"))).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> catalog.names()).isInstanceOf(IllegalStateException.class);
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 2);
    assertThat(contents(a)).isEqualTo(ArrowFiles.expected(V1));
    a.close();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    assertThat(contents(b)).isEqualTo(ArrowFiles.expected(V2));
    b.close();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  @Test
  void everyMappingIsReleasedAfterManyOpens() throws Exception {
    for (int i = 0; i < 5; i++) {
      publish("d" + i + ".arrow", Spec.file(1, i + 1));
    }
    publish("bad.arrow", new byte[] {1, 2, 3});
    List<OpenDataset> open = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 5; i++) {
        open.add(catalog.open(name("d" + i)));
      }
      assertThatThrownBy(() -> catalog.open(name("bad"))).isInstanceOf(DatasetUnreadableException.class);
      publish("d0.arrow", Spec.file(2, round + 1)); // a new version each round
    }
    assertThat(MappedFile.liveMappings()).isGreaterThan(mappingsBefore);
    open.forEach(OpenDataset::close);
    catalog.close();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  @Test
  void namesAreSortedAndFiltered() throws Exception {
    publish("b.arrow", V1);
    publish("a/x.arrows", Spec.stream(1, 1));
    publish("c.feather", V1);
    assertThat(catalog.names()).extracting(DatasetName::toString).containsExactly("a/x", "b", "c");
    assertThat(catalog.names(n -> n.segments().size() == 1)).extracting(DatasetName::toString)
        .containsExactly("b", "c");
    assertThat(catalog.locate(name("a/x"))).isPresent();
    assertThat(catalog.locate(name("a"))).isEmpty();
  }

  @Test
  void concurrentOpensDuringReplacementsLeakNothing() throws Exception {
    byte[] v1 = ArrowFiles.bytes(allocator, V1);
    byte[] v2 = ArrowFiles.bytes(allocator, V2);
    publish("hot.arrow", v1);
    AtomicBoolean done = new AtomicBoolean();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(5);
    try {
      List<Future<?>> readers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        readers.add(pool.submit(() -> {
          while (!done.get()) {
            try (OpenDataset dataset = catalog.open(name("hot"))) {
              int batches = dataset.index().batchCount();
              long size = dataset.file().size();
              boolean isV1 = batches == V1.batches() && size == v1.length;
              boolean isV2 = batches == V2.batches() && size == v2.length;
              if (!isV1 && !isV2) {
                problems.add("unexpected version: " + batches + " batches, " + size + " bytes");
              }
              // touch every body: the mapping must still be there
              for (var m : dataset.index().messages()) {
                dataset.file().segment().asSlice(m.bodyOffset(), m.bodyLength()).get(
                    java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
              }
            } catch (DatasetUnreadableException e) {
              // the one allowed refusal: the file was replaced again during each of the open's attempts
              if (!e.getMessage().contains("kept changing")) {
                problems.add(e.toString());
              }
            } catch (DatasetNotFoundException e) {
              problems.add(e.toString()); // an atomic rename never makes the name disappear
            }
          }
          return null;
        }));
      }
      for (int i = 0; i < 60; i++) {
        publish("hot.arrow", i % 2 == 0 ? v2 : v1);
      }
      done.set(true);
      for (Future<?> reader : readers) {
        reader.get();
      }
    } finally {
      done.set(true);
      pool.shutdown();
    }
    assertThat(problems).isEmpty();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
  }
}
