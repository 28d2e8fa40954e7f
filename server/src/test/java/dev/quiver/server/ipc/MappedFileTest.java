package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedFileTest {
  @TempDir Path dir;
  private int mappingsBefore;
  private long bytesBefore;

  @BeforeEach
  void setUp() {
    mappingsBefore = MappedFile.liveMappings();
    bytesBefore = MappedFile.liveMappedBytes();
  }

  @AfterEach
  void tearDown() {
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
    assertThat(MappedFile.liveMappedBytes()).isEqualTo(bytesBefore);
  }

  private Path file(int size) throws IOException {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    return Files.write(dir.resolve("f" + size), bytes);
  }

  @Test
  void mapsTheWholeFile() throws IOException {
    Path path = file(1000);
    MappedFile mapped = MappedFile.map(path);
    try {
      assertThat(mapped.path()).isEqualTo(path);
      assertThat(mapped.size()).isEqualTo(1000);
      assertThat(mapped.segment().byteSize()).isEqualTo(1000);
      assertThat(mapped.segment().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Files.readAllBytes(path));
      ByteBuffer slice = mapped.byteBuffer(100, 50);
      assertThat(slice.isDirect()).isTrue();
      assertThat(slice.remaining()).isEqualTo(50);
      for (int i = 0; i < 50; i++) {
        assertThat(slice.get(i)).isEqualTo((byte) ((100 + i) * 31 + 7));
      }
      assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
      assertThat(MappedFile.liveMappedBytes()).isEqualTo(bytesBefore + 1000);
      assertThat(mapped.toString()).contains(path.toString()).contains("1000 bytes").contains("refs=1");
    } finally {
      mapped.release();
    }
  }

  @Test
  void byteBufferOutsideTheFileIsRefused() throws IOException {
    MappedFile mapped = MappedFile.map(file(64));
    try {
      assertThatThrownBy(() -> mapped.byteBuffer(60, 8)).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> mapped.byteBuffer(-1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    } finally {
      mapped.release();
    }
  }

  @Test
  void referenceCounting() throws IOException {
    MappedFile mapped = MappedFile.map(file(256));
    assertThat(mapped.refCount()).isEqualTo(1);
    assertThat(mapped.retain()).isSameAs(mapped);
    assertThat(mapped.refCount()).isEqualTo(2);
    assertThat(mapped.tryRetain()).isTrue();
    assertThat(mapped.refCount()).isEqualTo(3);

    mapped.release();
    mapped.release();
    assertThat(mapped.refCount()).isEqualTo(1);
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    // still readable while a reference is held
    assertThat(mapped.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);

    mapped.release();
    assertThat(mapped.refCount()).isZero();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
    assertThat(MappedFile.liveMappedBytes()).isEqualTo(bytesBefore);
    // unmapped: the segment can no longer be read (rather than reading freed memory)
    assertThatThrownBy(() -> mapped.segment().get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void noRetainAfterTheLastRelease() throws IOException {
    MappedFile mapped = MappedFile.map(file(16));
    mapped.release();
    assertThat(mapped.tryRetain()).isFalse();
    assertThat(mapped.refCount()).isZero();
    assertThatThrownBy(mapped::retain)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already released");
    assertThat(mapped.refCount()).isZero();
  }

  @Test
  void overReleaseIsRefusedAndDoesNotCorruptTheCount() throws IOException {
    MappedFile mapped = MappedFile.map(file(16));
    mapped.release();
    assertThatThrownBy(mapped::release)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("released more times than retained");
    assertThat(mapped.refCount()).isZero();
    assertThatThrownBy(mapped::release).isInstanceOf(IllegalStateException.class);
    assertThat(mapped.refCount()).isZero();
    assertThat(mapped.tryRetain()).isFalse();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  @Test
  void concurrentRetainAndReleaseBalance() throws Exception {
    MappedFile mapped = MappedFile.map(file(4096));
    int threads = 8;
    int rounds = 10_000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < rounds; i++) {
            mapped.retain();
            mapped.segment().get(ValueLayout.JAVA_BYTE, i % 4096);
            mapped.release();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertThat(mapped.refCount()).isEqualTo(1);
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    mapped.release();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  @Test
  void eachMappingIsCountedSeparately() throws IOException {
    Path path = file(100);
    MappedFile first = MappedFile.map(path);
    MappedFile second = MappedFile.map(path);
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 2);
    assertThat(MappedFile.liveMappedBytes()).isEqualTo(bytesBefore + 200);
    first.release();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore + 1);
    assertThat(second.segment().get(ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 7);
    second.release();
  }

  @Test
  void mappingOutlivesTheFileName() throws IOException {
    Path path = file(128);
    MappedFile mapped = MappedFile.map(path);
    try {
      Files.delete(path);
      assertThat(mapped.segment().get(ValueLayout.JAVA_BYTE, 127)).isEqualTo((byte) (127 * 31 + 7));
    } finally {
      mapped.release();
    }
  }

  @Test
  void emptyFileMapsToAnEmptySegment() throws IOException {
    Path path = Files.write(dir.resolve("empty"), new byte[0]);
    MappedFile mapped = MappedFile.map(path);
    try {
      assertThat(mapped.size()).isZero();
    } finally {
      mapped.release();
    }
  }

  @Test
  void missingFileIsNotMapped() {
    assertThatThrownBy(() -> MappedFile.map(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  @Test
  void directoryIsNotMapped() {
    assertThatThrownBy(() -> MappedFile.map(dir)).isInstanceOf(IOException.class);
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }
}
