package dev.quiver.server.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import dev.quiver.server.ipc.ArrowFiles;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import dev.quiver.server.ipc.IpcIndexer;
import dev.quiver.server.ipc.MappedFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files changed by another program at the worst moment: between being mapped and being indexed.
 * The catalog's indexer is given a step that changes the file first, so the race is certain.
 */
class CatalogFileChangeTest {
  private static final DatasetName NAME = DatasetName.parse("t");

  @TempDir Path root;
  private int mappingsBefore;

  @BeforeEach
  void countMappings() {
    mappingsBefore = MappedFile.liveMappings();
  }

  @AfterEach
  void nothingStaysMapped() {
    assertThat(MappedFile.liveMappings()).as("live mappings after the test").isEqualTo(mappingsBefore);
  }

  private Path publish(Spec spec) throws IOException {
    Path temporary = ArrowFiles.write(root.resolve(".t.arrow.tmp"), spec);
    return Files.move(temporary, root.resolve("t.arrow"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void aFileTruncatedWhileBeingIndexedIsIndexedAgainAtItsNewSize() throws Exception {
    Path file = publish(Spec.file(4, 100));
    AtomicInteger calls = new AtomicInteger();
    Catalog.Indexer truncateFirst = mapped -> {
      if (calls.getAndIncrement() == 0) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
          channel.truncate(channel.size() / 2);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
      // Reading the footer, at the end of the mapping, now touches pages past the end of the file:
      // SIGBUS, which the JVM reports as an InternalError.
      return IpcIndexer.index(mapped);
    };
    try (Catalog catalog = new Catalog(DataRoot.open(root), truncateFirst)) {
      assertThatThrownBy(() -> catalog.open(NAME))
          .isInstanceOf(DatasetUnreadableException.class)
          .hasMessageContaining("dataset 't' cannot be served: file 't.arrow'")
          .hasMessageContaining("no ARROW1 magic at the end");
      assertThat(calls).as("indexed again after the fault").hasValue(2);

      publish(Spec.file(4, 100));
      try (OpenDataset dataset = catalog.open(NAME)) {
        assertThat(dataset.index().batchCount()).isEqualTo(4);
      }
    }
  }

  @Test
  void aReplacementThatFailsToLoadLeavesTheCachedVersionHeldOnce() throws Exception {
    publish(Spec.file(2, 10));
    AtomicBoolean failNext = new AtomicBoolean();
    Catalog.Indexer failingOnce = mapped -> {
      if (failNext.getAndSet(false)) {
        throw new IllegalStateException("loading the new version failed");
      }
      return IpcIndexer.index(mapped);
    };
    try (Catalog catalog = new Catalog(DataRoot.open(root), failingOnce)) {
      OpenDataset reader = catalog.open(NAME);
      MappedFile first = reader.file();
      assertThat(first.refCount()).as("catalog and reader").isEqualTo(2);

      publish(Spec.file(3, 10));
      failNext.set(true);
      assertThatThrownBy(() -> catalog.open(NAME)).hasMessageContaining("loading the new version failed");
      // The old version is still cached, so the catalog must still hold its reference: before the
      // fix it gave it back before loading, and the next load gave it back again, unmapping the
      // file under the reader (whose own release then failed).
      assertThat(first.refCount()).as("catalog and reader after the failed load").isEqualTo(2);

      try (OpenDataset current = catalog.open(NAME)) {
        assertThat(current.index().batchCount()).isEqualTo(3);
      }
      assertThat(first.refCount()).as("only the reader").isEqualTo(1);
      assertThat(reader.index().batchCount()).isEqualTo(2);
      reader.close();
      assertThat(first.refCount()).isZero();
    }
  }
}
