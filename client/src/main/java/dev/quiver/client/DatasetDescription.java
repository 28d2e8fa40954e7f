package dev.quiver.client;

import java.time.Instant;
import java.util.List;

/**
 * What the server's {@code describe} action says of a dataset.
 *
 * @param name        the dataset name
 * @param path        where it is stored, relative to the server's data root
 * @param format      {@code file}, {@code stream} or {@code parts}
 * @param parts       number of files it is stored in
 * @param rows        total rows
 * @param batches     total record batches
 * @param bytes       bytes on disk
 * @param compression buffer compression of its batches: {@code none}, {@code lz4_frame}, {@code zstd}
 * @param modified    last modification time
 * @param columns     its columns, in order
 */
public record DatasetDescription(String name, String path, String format, int parts, long rows, long batches,
    long bytes, String compression, Instant modified, List<ColumnDescription> columns) {
  public DatasetDescription {
    columns = List.copyOf(columns);
  }
}
