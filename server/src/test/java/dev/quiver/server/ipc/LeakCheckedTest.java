package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the tests that write Arrow data and map files: gives each test a scratch directory and a
 * fresh allocator, and after each test checks that no Arrow memory and no file mapping was leaked.
 */
abstract class LeakCheckedTest {
  @TempDir Path dir;
  BufferAllocator allocator;
  private int mappingsBefore;

  @BeforeEach
  final void openAllocatorAndCountMappings() {
    allocator = new RootAllocator();
    mappingsBefore = MappedFile.liveMappings();
  }

  @AfterEach
  final void checkNothingLeaked() {
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }
}
