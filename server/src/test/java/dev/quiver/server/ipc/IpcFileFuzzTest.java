package dev.quiver.server.ipc;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files in the data root are untrusted: whatever bytes a file holds, the server maps it and either
 * refuses it with an {@link IpcFormatException} or serves it without reading outside the mapping
 * ({@link IpcFileCheck}). The input is written to a file first, as the catalog would find it, and
 * the file is never truncated while mapped (that would be SIGBUS, not a finding).
 */
class IpcFileFuzzTest {
  private static final List<byte[]> REAL_FILES = RealIpcFiles.load();

  @TempDir static Path dir;

  /** Any bytes at all; the committed seeds are real files of both formats, which the fuzzer mutates. */
  @FuzzTest
  void indexesArbitraryBytes(byte[] bytes) throws IOException {
    IpcFileCheck.check(Files.write(dir.resolve("fuzzed.arrow"), bytes));
  }

  /** A real file of one of {@link RealIpcFiles}' shapes, damaged field by field ({@link IpcMutator}). */
  @FuzzTest
  void indexesMutatedRealFiles(FuzzedDataProvider data) throws IOException {
    byte[] base = REAL_FILES.get(data.consumeInt(0, REAL_FILES.size() - 1));
    IpcFileCheck.check(Files.write(dir.resolve("mutated.arrow"), IpcMutator.mutate(base, data)));
  }
}
