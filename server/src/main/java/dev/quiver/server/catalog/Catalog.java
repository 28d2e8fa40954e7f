package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.IpcIndex;
import dev.quiver.server.ipc.IpcIndexer;
import dev.quiver.server.ipc.MappedFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datasets under a data root, with a cache of their mappings and indexes.
 *
 * <p>There is no watcher to fall behind: every lookup checks the file's {@link FileSignature}
 * (one {@code stat}) against the cached one, so files added, replaced or removed by other programs
 * are seen on the next request. A changed file is mapped and indexed again; the old mapping is
 * released by the catalog and unmapped when the streams still reading it finish. A file that
 * cannot be indexed is cached with its error, so it answers the same clear error every time
 * without being parsed again, and it never affects other datasets.
 */
public final class Catalog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Catalog.class);
  private static final int MAX_ATTEMPTS = 5;

  private final DataRoot root;
  private final Indexer indexer;
  private final Map<Path, Entry> cache = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** A cached file version: either an index with the catalog's reference to the mapping, or an error. */
  private record Entry(FileSignature signature, MappedFile file, IpcIndex index, IpcFormatException error) {
    void release() {
      if (file != null) {
        file.release();
      }
    }
  }

  /** Indexes a mapped file: {@link IpcIndexer#index}; tests put a step before it (changing the file). */
  interface Indexer {
    IpcIndex index(MappedFile file) throws IpcFormatException;
  }

  public Catalog(DataRoot root) {
    this(root, IpcIndexer::index);
  }

  Catalog(DataRoot root, Indexer indexer) {
    this.root = root;
    this.indexer = indexer;
  }

  public DataRoot root() {
    return root;
  }

  /**
   * Opens the current version of a dataset. The caller must close the result.
   *
   * @throws DatasetNotFoundException   if there is no such dataset
   * @throws DatasetUnreadableException if its file is not a valid Arrow IPC file
   */
  public OpenDataset open(DatasetName name) throws DatasetNotFoundException, DatasetUnreadableException {
    ensureOpen();
    Optional<Path> located = root.locate(name);
    // Versions cached under paths that no longer hold this dataset (deleted, or shadowed by a
    // preferred form) are let go now, so a deleted file's space is not pinned by us.
    for (Path candidate : root.candidates(name)) {
      if (located.isEmpty() || !candidate.equals(located.get())) {
        evictUnder(candidate);
      }
    }
    Path path = located.orElseThrow(() -> new DatasetNotFoundException(name));
    if (!root.isPartsDirectory(path)) {
      return new OpenDataset(name, path, List.of(openFile(name, path, path)));
    }
    List<Path> partFiles;
    try {
      partFiles = root.parts(path);
    } catch (IOException e) {
      throw new DatasetNotFoundException(name);
    }
    if (partFiles.isEmpty()) {
      throw new DatasetUnreadableException(name, path.getFileName().toString(),
          new IOException("the parts directory holds no part files"));
    }
    List<FileVersion> parts = new ArrayList<>(partFiles.size());
    try {
      for (Path part : partFiles) {
        parts.add(openFile(name, path, part));
      }
    } catch (DatasetNotFoundException | DatasetUnreadableException | RuntimeException e) {
      parts.forEach(part -> part.file().release());
      throw e;
    }
    // From here the OpenDataset owns the references (and gives them back if it cannot be built).
    return new OpenDataset(name, path, parts);
  }

  /** One file of a dataset, with a reference to its mapping owned by the caller. */
  record FileVersion(MappedFile file, IpcIndex index) {}

  /** Opens the current version of one file of dataset {@code name} (stored at {@code location}). */
  private FileVersion openFile(DatasetName name, Path location, Path path)
      throws DatasetNotFoundException, DatasetUnreadableException {
    String shown = root.path().relativize(location).toString();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      FileSignature signature;
      try {
        signature = FileSignature.of(path);
      } catch (IOException e) {
        evict(path);
        throw new DatasetNotFoundException(name);
      }
      Entry entry;
      try {
        entry = cache.compute(path, (p, old) -> {
          if (old != null && old.signature().equals(signature)) {
            return old;
          }
          // Load before letting the old version go: if loading throws, compute() keeps the old entry
          // cached, and it must still hold its reference (released first, the next eviction
          // released it a second time, unmapping a file that streams were still sending).
          Entry loaded = load(p, signature);
          if (old != null) {
            old.release();
          }
          return loaded;
        });
      } catch (UncheckedIOException e) {
        if (e.getCause() instanceof NoSuchFileException) {
          throw new DatasetNotFoundException(name);
        }
        throw new DatasetUnreadableException(name, shown, e.getCause());
      }
      if (entry == null) {
        continue; // the file changed while it was being mapped; look again
      }
      if (entry.error() != null) {
        throw new DatasetUnreadableException(name, shown, entry.error());
      }
      if (entry.file().tryRetain()) {
        return new FileVersion(entry.file(), entry.index());
      }
      // Lost a race with a concurrent replacement that released this version; look again.
    }
    throw new DatasetUnreadableException(
        name, shown, new IOException("the file kept changing while it was being opened"));
  }

  /** Maps and indexes one file version; returns null if the file changed underneath. */
  private Entry load(Path path, FileSignature signature) {
    MappedFile file;
    try {
      file = MappedFile.map(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      FileSignature after = FileSignature.of(path);
      if (!after.equals(signature) || file.size() != signature.size()) {
        file.release();
        return null;
      }
      IpcIndex index = indexer.index(file);
      return new Entry(signature, file, index, null);
    } catch (InternalError e) {
      // How the JVM reports SIGBUS reading the mapping: the file was truncated in place after it
      // was mapped. Like any change while mapping, look again (the new size is then indexed).
      boolean truncated = file.truncatedSize().isPresent();
      file.release();
      if (!truncated) {
        throw e;
      }
      log.warn("{} was truncated in place while being indexed; indexing it again", path);
      return null;
    } catch (IpcFormatException e) {
      file.release();
      log.warn("{} is not a valid Arrow IPC file: {}", path, e.getMessage());
      return new Entry(signature, null, null, e);
    } catch (IOException e) {
      file.release();
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      file.release();
      throw e;
    }
  }

  /** Names of all datasets, sorted. Datasets whose files are broken are included. */
  public List<DatasetName> names() throws IOException {
    return names(name -> true);
  }

  /** Names of the datasets {@code filter} accepts, sorted. Datasets whose files are broken are included. */
  public List<DatasetName> names(Predicate<DatasetName> filter) throws IOException {
    ensureOpen();
    TreeMap<DatasetName, Path> found = root.scan();
    // Files that disappeared since they were cached: let their mappings go.
    for (Path cached : List.copyOf(cache.keySet())) {
      if (!java.nio.file.Files.exists(cached)) {
        evict(cached);
      }
    }
    List<DatasetName> names = new ArrayList<>();
    for (DatasetName name : found.keySet()) {
      if (filter.test(name)) {
        names.add(name);
      }
    }
    return names;
  }

  /** Looks up without opening: the file a name resolves to now, if any. */
  public Optional<Path> locate(DatasetName name) {
    return root.locate(name);
  }

  private void evict(Path path) {
    Entry removed = cache.remove(path);
    if (removed != null) {
      removed.release();
    }
  }

  /** Evicts {@code path} and, if it was a parts directory, every cached file under it. */
  private void evictUnder(Path path) {
    for (Path cached : List.copyOf(cache.keySet())) {
      if (cached.startsWith(path)) {
        evict(cached);
      }
    }
  }

  /**
   * Lets go of the versions cached at or under {@code path}, which the server has just removed or
   * replaced. Without it the cache would keep a deleted dataset's files mapped (and their disk space
   * allocated) until someone asked for that name again or listed the datasets: found by the soak,
   * where uploads deleted after verification piled up as mappings. Streams reading those versions
   * hold their own references and finish normally.
   */
  public void forget(Path path) {
    evictUnder(path);
  }

  /** Drops every cached version (the {@code refresh} action); open datasets keep their own references. */
  public void invalidate() {
    for (Path path : List.copyOf(cache.keySet())) {
      evict(path);
    }
  }

  /** Number of file versions currently cached (mapped or remembered as broken). */
  public int cachedFiles() {
    return cache.size();
  }

  private void ensureOpen() {
    if (closed) {
      throw new CatalogClosedException();
    }
  }

  /** Drops the catalog's references; mappings still used by streams stay until those finish. */
  @Override
  public void close() {
    closed = true;
    for (Path path : List.copyOf(cache.keySet())) {
      evict(path);
    }
  }
}
