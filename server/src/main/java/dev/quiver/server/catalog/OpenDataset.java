package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.IpcIndex;
import dev.quiver.server.ipc.MappedFile;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One version of a dataset, held open: its index and one reference to its mapping. Whoever gets it
 * from {@link Catalog#open} closes it (once; later calls do nothing). While it is open the mapping
 * stays valid even if the file is replaced or deleted on disk.
 */
public final class OpenDataset implements AutoCloseable {
  private final DatasetName name;
  private final Path path;
  private final List<MappedFile> files;
  private final IpcIndex index;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Takes ownership of one reference to each part's mapping. */
  OpenDataset(DatasetName name, Path path, List<Catalog.FileVersion> parts) throws DatasetUnreadableException {
    this.name = name;
    this.path = path;
    this.files = parts.stream().map(Catalog.FileVersion::file).toList();
    try {
      this.index = IpcIndex.concat(parts.stream().map(Catalog.FileVersion::index).toList());
    } catch (IpcFormatException e) {
      files.forEach(MappedFile::release);
      throw new DatasetUnreadableException(name, path.getFileName().toString(), e);
    }
  }

  public DatasetName name() {
    return name;
  }

  /** The file, or for a multi-part dataset the parts directory, holding this version. */
  public Path path() {
    return path;
  }

  /** The mapping of a single-file dataset (the first part of a multi-part one). */
  public MappedFile file() {
    return files.get(0);
  }

  /**
   * The mapping holding the bodies of messages tagged with {@code part}. Callers that keep a
   * pointer into it past {@link #close()} must retain it.
   */
  public MappedFile file(int part) {
    return files.get(part);
  }

  /** Number of files this version is stored in. */
  public int partCount() {
    return files.size();
  }

  public IpcIndex index() {
    return index;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      files.forEach(MappedFile::release);
    }
  }
}
