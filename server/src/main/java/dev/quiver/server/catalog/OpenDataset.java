package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;
import dev.quiver.server.ipc.IpcIndex;
import dev.quiver.server.ipc.MappedFile;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One version of a dataset, held open: its index and one reference to its mapping. Whoever gets it
 * from {@link Catalog#open} closes it (once; later calls do nothing). While it is open the mapping
 * stays valid even if the file is replaced or deleted on disk.
 */
public final class OpenDataset implements AutoCloseable {
  private final DatasetName name;
  private final Path path;
  private final MappedFile file;
  private final IpcIndex index;
  private final AtomicBoolean closed = new AtomicBoolean();

  OpenDataset(DatasetName name, Path path, MappedFile file, IpcIndex index) {
    this.name = name;
    this.path = path;
    this.file = file;
    this.index = index;
  }

  public DatasetName name() {
    return name;
  }

  public Path path() {
    return path;
  }

  /** The mapping; callers that keep a pointer into it past {@link #close()} must retain it. */
  public MappedFile file() {
    return file;
  }

  public IpcIndex index() {
    return index;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      file.release();
    }
  }
}
