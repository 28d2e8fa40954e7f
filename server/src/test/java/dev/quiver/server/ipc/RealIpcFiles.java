package dev.quiver.server.ipc;

import dev.quiver.server.ipc.ArrowFiles.Codec;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.MetadataVersion;

/**
 * Small, real Arrow IPC files written by arrow-java, one of each shape the server reads: both
 * formats, dictionaries (replaced mid-stream too), LZ4 and ZSTD buffers, metadata V4, the pre-1.0
 * stream layout, no batches at all. {@link #main} writes them as the committed seed corpus of
 * {@code IpcFileFuzzTest.indexesArbitraryBytes}; {@link #load} reads them back from there, which
 * keeps arrow-java's writers out of the fuzz targets' start-up.
 */
public final class RealIpcFiles {
  /** The corpus directory, relative to this package on the test class path. */
  private static final String SEEDS = "IpcFileFuzzTestInputs/indexesArbitraryBytes/";
  private static final List<String> NAMES = List.of("file", "file-zstd", "file-no-batches", "file-v4", "stream",
      "stream-lz4-no-eos", "stream-replaced-dictionary", "stream-legacy");

  private RealIpcFiles() {}

  /** Each file's bytes as arrow-java writes them, by name; a few kilobytes each. */
  static Map<String, byte[]> write() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      files.put("file", ArrowFiles.bytes(allocator, Spec.file(2, 2)));
      files.put("file-zstd", ArrowFiles.bytes(allocator, Spec.file(1, 3).compressed(Codec.ZSTD)));
      files.put("file-no-batches", ArrowFiles.bytes(allocator, Spec.file(0, 0).withoutDictionary()));
      files.put("file-v4", ArrowFiles.bytes(allocator, Spec.file(1, 1), new IpcOption(false, MetadataVersion.V4)));
      files.put("stream", ArrowFiles.bytes(allocator, Spec.stream(2, 2)));
      files.put("stream-lz4-no-eos", ArrowFiles.bytes(allocator, Spec.stream(1, 3).compressed(Codec.LZ4_FRAME)
          .withoutEndOfStream()));
      files.put("stream-replaced-dictionary", ArrowFiles.bytes(allocator, Spec.stream(2, 2).replacingDictionary()));
      files.put("stream-legacy", ArrowFiles.bytes(allocator, Spec.stream(1, 2).withoutDictionary(), ArrowFiles.LEGACY));
    }
    return files;
  }

  /** The committed files, in {@link #write}'s order. */
  public static List<byte[]> load() {
    return NAMES.stream().map(RealIpcFiles::load).toList();
  }

  /** The committed file {@code name}, one of {@link #write}'s keys. */
  public static byte[] load(String name) {
    try (InputStream in = RealIpcFiles.class.getResourceAsStream(SEEDS + "seed-" + name)) {
      if (in == null) {
        throw new IllegalStateException("seed " + name + " is missing from " + SEEDS);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Writes every file into the directory {@code args[0]}, e.g.
   * {@code server/src/test/resources/dev/quiver/server/ipc/IpcFileFuzzTestInputs/indexesArbitraryBytes}.
   */
  public static void main(String[] args) throws IOException {
    Path directory = Files.createDirectories(Path.of(args[0]));
    for (Map.Entry<String, byte[]> file : write().entrySet()) {
      Files.write(directory.resolve("seed-" + file.getKey()), file.getValue());
    }
  }
}
