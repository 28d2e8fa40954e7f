package dev.quiver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/** Reads local IPC files with arrow-java, independently of Quiver's code, to check what was written. */
final class IpcFiles {
  /** What a file holds: its schema and every row, as arrow-java prints them. */
  record Content(String schema, long rows, long batches, String tsv) {}

  private IpcFiles() {}

  /** Reads a file-format file, or a stream-format one if {@code stream}. */
  static Content read(Path file, boolean stream) throws IOException {
    try (BufferAllocator allocator = new RootAllocator();
         FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
         InputStream in = Files.newInputStream(file);
         ArrowReader reader = stream ? new ArrowStreamReader(in, allocator) : new ArrowFileReader(channel, allocator)) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      StringBuilder tsv = new StringBuilder();
      long rows = 0;
      long batches = 0;
      while (reader.loadNextBatch()) {
        rows += root.getRowCount();
        batches++;
        tsv.append(root.contentToTSVString());
      }
      return new Content(root.getSchema().toString(), rows, batches, tsv.toString());
    }
  }

  static Content read(Path file) throws IOException {
    return read(file, false);
  }
}
