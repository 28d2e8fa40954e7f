package dev.quiver.server.upload;

import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.UploadRequest;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DataRoot;
import dev.quiver.server.catalog.DatasetExistsException;
import dev.quiver.server.catalog.DatasetNotFoundException;
import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.catalog.OpenDataset;
import dev.quiver.server.ipc.IpcSchema;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every change to the data root goes through here: publishing an upload (create, overwrite,
 * append), deleting and renaming datasets. Each change is made visible by one atomic rename, so a
 * reader or a listing sees the old state or the new one, never a mix; files already published are
 * never written again (a mapped file must not change under a reader). Changes to one dataset name
 * are serialized by a per-name lock; what lives on disk is the only state.
 *
 * <p>Layout: a dataset is a single IPC file {@code <name>.arrow} (what create and overwrite write),
 * or, once appended to, a directory {@code <name>.parts/} of part files read in name order. The
 * first append turns the single file into part 0 by a hard link (no copy); every later append adds
 * one part file.
 */
public final class DatasetStore {
  private static final Logger log = LoggerFactory.getLogger(DatasetStore.class);

  private final DataRoot root;
  private final Catalog catalog;
  private final UploadStaging staging;
  private final ConcurrentHashMap<DatasetName, ReentrantLock> locks = new ConcurrentHashMap<>();

  public DatasetStore(DataRoot root, Catalog catalog, UploadStaging staging) {
    this.root = root;
    this.catalog = catalog;
    this.staging = staging;
  }

  public UploadStaging staging() {
    return staging;
  }

  /** What a publish produced. */
  public record Published(DatasetName dataset, Path path, int parts) {}

  /**
   * Fails fast, before any data is received, if {@code request} cannot succeed with this schema:
   * create of an existing dataset, append with a different schema. {@link #publish} checks again.
   */
  public void checkCanStart(UploadRequest request, IpcSchema schema)
      throws DatasetExistsException, DatasetUnreadableException {
    directoryOf(request.dataset()); // refuses reserved names before any data is received
    switch (request.mode()) {
      case CREATE -> {
        if (root.locate(request.dataset()).isPresent()) {
          throw new DatasetExistsException(request.dataset(), "use mode \"overwrite\" or \"append\"");
        }
      }
      case APPEND -> checkSameSchema(request.dataset(), schema);
      case OVERWRITE -> { }
    }
  }

  private void checkSameSchema(DatasetName name, IpcSchema schema) throws DatasetUnreadableException {
    try (OpenDataset existing = catalog.open(name)) {
      IpcSchema current = existing.index().schema();
      if (!current.sameFieldsAs(schema)) {
        throw new ProtocolException("cannot append to dataset '" + name + "': the schema differs ("
            + current.describeDifference(schema) + ")");
      }
    } catch (DatasetNotFoundException e) {
      // appending to a dataset that does not exist yet creates it
    }
  }

  /** {@link #publish(UploadRequest, List, IpcSchema)} of a single file. */
  public Published publish(UploadRequest request, Path upload, IpcSchema schema)
      throws IOException, DatasetExistsException, DatasetUnreadableException {
    return publish(request, List.of(upload), schema);
  }

  /**
   * Makes the complete, fsynced IPC files {@code uploads} (one, or several parts in order) the new
   * version of the dataset, or its new last parts. The upload files are moved or deleted either way.
   */
  public Published publish(UploadRequest request, List<Path> uploads, IpcSchema schema)
      throws IOException, DatasetExistsException, DatasetUnreadableException {
    if (uploads.isEmpty()) {
      throw new IllegalArgumentException("nothing to publish");
    }
    DatasetName name = request.dataset();
    ReentrantLock lock = lockFor(name);
    lock.lock();
    try {
      Optional<Path> existing = root.locate(name);
      return switch (request.mode()) {
        case CREATE -> {
          if (existing.isPresent()) {
            throw new DatasetExistsException(name, "another upload created it first; use mode \"overwrite\" or \"append\"");
          }
          yield replace(name, uploads);
        }
        case OVERWRITE -> replace(name, uploads);
        case APPEND -> {
          checkSameSchema(name, schema);
          yield existing.isEmpty() ? replace(name, uploads) : append(name, existing.get(), uploads);
        }
      };
    } finally {
      lock.unlock();
      for (Path upload : uploads) {
        Files.deleteIfExists(upload);
      }
    }
  }

  /** The dataset becomes {@code uploads}; every other form of it goes away. */
  private Published replace(DatasetName name, List<Path> uploads) throws IOException {
    if (uploads.size() > 1) {
      return installParts(name, List.of(), uploads);
    }
    Path target = fileFor(name);
    createParents(name, target);
    Files.move(uploads.get(0), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    UploadStaging.syncDirectory(target.getParent());
    catalog.forget(target); // the replaced version's mapping, so its space is freed now
    // A parts directory (or a file with another extension) of the same name would shadow or
    // resurface behind the new file; retire them. Removing the parts directory is the moment the
    // new file becomes visible if one existed, and it is a single rename.
    removeForms(name, target);
    return new Published(name, target, 1);
  }

  /** Adds {@code uploads} as the next parts of the dataset stored at {@code current}. */
  private Published append(DatasetName name, Path current, List<Path> uploads) throws IOException {
    if (!root.isPartsDirectory(current)) {
      return installParts(name, List.of(current), uploads);
    }
    List<Path> parts = root.parts(current);
    if (uploads.size() > 1) {
      return installParts(name, parts, uploads);
    }
    // One more part: a single rename into the directory. After the highest existing part,
    // whatever gaps deletions by hand left.
    Path next = current.resolve(partName(nextFreeIndex(parts), ".arrow"));
    Files.move(uploads.get(0), next, StandardCopyOption.ATOMIC_MOVE);
    UploadStaging.syncDirectory(current);
    return new Published(name, current, parts.size() + 1);
  }

  /**
   * Builds a parts directory aside, from {@code kept} (existing files, hard-linked, not copied)
   * followed by {@code uploads}, and puts it in place in one step: a rename if the dataset had no
   * parts directory (the new one shadows any single file, which is then removed), an atomic
   * exchange with the old parts directory otherwise.
   */
  private Published installParts(DatasetName name, List<Path> kept, List<Path> uploads) throws IOException {
    Path building = staging.newPath(DataRoot.PARTS_SUFFIX);
    Files.createDirectory(building);
    try {
      int index = 0;
      for (Path file : kept) {
        linkOrCopy(file, building.resolve(partName(index++, extensionOf(file))));
      }
      for (Path upload : uploads) {
        Files.move(upload, building.resolve(partName(index++, ".arrow")), StandardCopyOption.ATOMIC_MOVE);
      }
      UploadStaging.syncDirectory(building);
      Path target = partsFor(name);
      createParents(name, target);
      if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
        if (!DirectoryExchange.exchange(building, target)) {
          // No atomic exchange on this platform: readers may briefly find the dataset missing.
          Path retired = staging.newPath(".retired");
          Files.move(target, retired, StandardCopyOption.ATOMIC_MOVE);
          Files.move(building, target, StandardCopyOption.ATOMIC_MOVE);
          building = retired;
        }
        // building now holds the previous parts; readers keep their mappings of them.
        if (kept.isEmpty()) {
          catalog.forget(target); // an overwrite: no cached part is current any more
        }
      } else {
        Files.move(building, target, StandardCopyOption.ATOMIC_MOVE);
      }
      UploadStaging.syncDirectory(target.getParent());
      // The parts directory now shadows any single file of the same name; remove those.
      removeForms(name, target);
      return new Published(name, target, index);
    } finally {
      UploadStaging.deleteTree(building);
    }
  }

  private static void linkOrCopy(Path source, Path link) throws IOException {
    try {
      Files.createLink(link, source);
    } catch (UnsupportedOperationException | IOException e) {
      Files.copy(source, link);
      try (var channel = java.nio.channels.FileChannel.open(link, java.nio.file.StandardOpenOption.WRITE)) {
        channel.force(true);
      }
    }
  }

  private static int nextFreeIndex(List<Path> parts) {
    int highest = -1;
    for (Path part : parts) {
      String file = part.getFileName().toString();
      String digits = file.substring(DataRoot.PART_PREFIX.length(), file.indexOf('.'));
      try {
        highest = Math.max(highest, Integer.parseInt(digits));
      } catch (NumberFormatException e) {
        // a part named by hand; order still follows names
      }
    }
    return highest + 1;
  }

  /**
   * Deletes dataset {@code name} in every form it has on disk.
   *
   * @throws DatasetNotFoundException if there is none
   */
  public void delete(DatasetName name) throws IOException, DatasetNotFoundException {
    ReentrantLock lock = lockFor(name);
    lock.lock();
    try {
      if (root.locate(name).isEmpty()) {
        throw new DatasetNotFoundException(name);
      }
      removeForms(name, null);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves dataset {@code from} to the name {@code to}.
   *
   * @throws DatasetNotFoundException if {@code from} does not exist
   * @throws DatasetExistsException   if {@code to} exists and {@code overwrite} is false
   */
  public Path rename(DatasetName from, DatasetName to, boolean overwrite)
      throws IOException, DatasetNotFoundException, DatasetExistsException {
    if (from.equals(to)) {
      throw new ProtocolException("cannot rename dataset '" + from + "' to itself");
    }
    // Lock both names in a fixed order so two opposite renames cannot deadlock.
    ReentrantLock first = lockFor(from.compareTo(to) < 0 ? from : to);
    ReentrantLock second = lockFor(from.compareTo(to) < 0 ? to : from);
    first.lock();
    second.lock();
    try {
      Path source = root.locate(from).orElseThrow(() -> new DatasetNotFoundException(from));
      if (root.locate(to).isPresent() && !overwrite) {
        throw new DatasetExistsException(to, "pass \"overwrite\": true to replace it");
      }
      Path target = root.isPartsDirectory(source) ? partsFor(to) : fileFor(to).resolveSibling(
          to.leaf() + extensionOf(source));
      createParents(to, target);
      removeForms(to, null);
      try {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        throw new DatasetExistsException(to, "it appeared while renaming");
      }
      UploadStaging.syncDirectory(target.getParent());
      UploadStaging.syncDirectory(source.getParent());
      catalog.forget(source); // cached under the old path, which no name reaches any more
      // Shadowed leftovers of the old name (say a stale x.feather behind x.arrow) go too, so the
      // old name is free afterwards, as after a delete.
      removeForms(from, null);
      return target;
    } finally {
      second.unlock();
      first.unlock();
    }
  }

  /**
   * Removes every on-disk form of {@code name} except {@code keep}: each goes by one rename into
   * the staging area (so it vanishes from readers' view atomically) and is deleted from there.
   */
  private void removeForms(DatasetName name, Path keep) throws IOException {
    List<Path> gone = new ArrayList<>();
    for (Path candidate : root.candidates(name)) {
      if (candidate.equals(keep) || !root.holdsDataset(candidate)) {
        continue;
      }
      Path retired = staging.newPath(".retired");
      Files.move(candidate, retired, StandardCopyOption.ATOMIC_MOVE);
      gone.add(retired);
      catalog.forget(candidate); // else the cache keeps the removed files mapped until the name is looked up
      UploadStaging.syncDirectory(candidate.getParent());
    }
    for (Path retired : gone) {
      UploadStaging.deleteTree(retired);
    }
  }

  /** Creates the directories a dataset's file goes in; a file in the way is the client's problem. */
  private void createParents(DatasetName name, Path target) throws IOException {
    try {
      Files.createDirectories(target.getParent());
    } catch (FileAlreadyExistsException e) {
      throw new ProtocolException("cannot store dataset '" + name + "': '"
          + root.path().relativize(Path.of(e.getFile())) + "' is a file, not a directory");
    }
  }

  private ReentrantLock lockFor(DatasetName name) {
    return locks.computeIfAbsent(name, n -> new ReentrantLock());
  }

  private Path fileFor(DatasetName name) {
    return directoryOf(name).resolve(name.leaf() + ".arrow");
  }

  private Path partsFor(DatasetName name) {
    return directoryOf(name).resolve(name.leaf() + DataRoot.PARTS_SUFFIX);
  }

  private Path directoryOf(DatasetName name) {
    for (String segment : name.segments()) {
      if (segment.startsWith(".")) {
        // Hidden paths are never served (the upload staging area is one), so never written either.
        throw new ProtocolException("dataset name '" + name + "' has a segment starting with '.'; such names are"
            + " reserved (hidden files are never datasets)");
      }
      if (segment.endsWith(DataRoot.PARTS_SUFFIX)) {
        // "<name>.parts" is how a multi-part dataset is stored; a name using it would reach inside one.
        throw new ProtocolException("dataset name '" + name + "' has a segment ending in '" + DataRoot.PARTS_SUFFIX
            + "'; such names are reserved for multi-part datasets");
      }
    }
    Path dir = root.parentOf(name);
    if (!dir.normalize().startsWith(root.path())) {
      throw new ProtocolException("dataset name '" + name + "' leaves the data root");
    }
    return dir;
  }

  private static String partName(int index, String extension) {
    return String.format("%s%06d%s", DataRoot.PART_PREFIX, index, extension);
  }

  private static String extensionOf(Path file) {
    String name = file.getFileName().toString();
    for (String extension : DataRoot.EXTENSIONS) {
      if (name.endsWith(extension)) {
        return extension;
      }
    }
    return ".arrow";
  }

  static void logPublished(Published published) {
    log.info("dataset '{}' published at {} ({} part{})", published.dataset(), published.path(),
        published.parts(), published.parts() == 1 ? "" : "s");
  }
}
