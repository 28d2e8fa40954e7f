package dev.quiver.server.catalog;

import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.server.ipc.IpcFormat;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory datasets live in, and the mapping between dataset names and files:
 * {@code sales/2024} is {@code <root>/sales/2024.arrow} (or {@code .feather}, {@code .ipc},
 * {@code .arrows}, in that order of preference, or a file of that exact name whose content is Arrow).
 *
 * <p>This is the one place that turns a name from the network into a path, so it is also where
 * names are kept inside the root: {@link DatasetName} already refuses {@code ..} and absolute
 * names, and here every candidate's real path (symlinks resolved) must still lie under the root's.
 * Hidden files and directories (leading {@code .}) are never datasets: uploads keep their
 * temporary files there.
 */
public final class DataRoot {
  private static final Logger log = LoggerFactory.getLogger(DataRoot.class);
  /** Recognised extensions, in order of preference when two files would give the same name. */
  public static final List<String> EXTENSIONS = List.of(".arrow", ".feather", ".ipc", ".arrows");
  /**
   * A directory {@code <name>.parts} is one dataset stored as several IPC files read in name order
   * (what appending uploads produce). It takes precedence over a single file of the same name.
   */
  public static final String PARTS_SUFFIX = ".parts";
  /** Part files inside a parts directory: {@code part-000000.arrow}, {@code part-000001.arrow}, ... */
  public static final String PART_PREFIX = "part-";
  private static final int MAX_DEPTH = 32;

  private final Path root;

  private DataRoot(Path root) {
    this.root = root;
  }

  /** Opens an existing directory as a data root. */
  public static DataRoot open(Path directory) throws IOException {
    Path real = directory.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new NotDirectoryException(directory.toString());
    }
    return new DataRoot(real);
  }

  public Path path() {
    return root;
  }

  /** The file currently holding dataset {@code name}, if there is one inside the root. */
  public Optional<Path> locate(DatasetName name) {
    List<Path> candidates = candidates(name);
    for (int i = 0; i < candidates.size(); i++) {
      Path candidate = candidates.get(i);
      boolean parts = i == 0;
      boolean exactName = i == EXTENSIONS.size() + 1;
      if (parts ? isPartsDirectory(candidate) : isServable(candidate) && (!exactName || isArrow(candidate))) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Whether {@code path} is a parts directory inside the root. */
  public boolean isPartsDirectory(Path path) {
    try {
      return path.getFileName().toString().endsWith(PARTS_SUFFIX) && Files.isDirectory(path)
          && path.toRealPath().startsWith(root);
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  /** The directory a dataset's file (or parts directory) lives in: the root plus all but the last segment. */
  public Path parentOf(DatasetName name) {
    Path parent = root;
    List<String> segments = name.segments();
    for (int i = 0; i < segments.size() - 1; i++) {
      parent = parent.resolve(segments.get(i));
    }
    return parent;
  }

  /** The path segments of {@code path} below the root. */
  private List<String> segmentsOf(Path path) {
    List<String> segments = new ArrayList<>();
    for (Path part : root.relativize(path)) {
      segments.add(part.toString());
    }
    return segments;
  }

  /** Whether {@code path} (one of {@link #candidates}) currently holds a dataset. */
  public boolean holdsDataset(Path path) {
    String fileName = path.getFileName().toString();
    if (fileName.endsWith(PARTS_SUFFIX)) {
      return isPartsDirectory(path);
    }
    return isServable(path) && (knownExtension(fileName) != null || isArrow(path));
  }

  /** The part files of a parts directory, in the order they are read. */
  public List<Path> parts(Path partsDirectory) throws IOException {
    try (var entries = Files.list(partsDirectory)) {
      return entries
          .filter(p -> {
            String file = p.getFileName().toString();
            return file.startsWith(PART_PREFIX) && knownExtension(file) != null && isServable(p);
          })
          .sorted()
          .toList();
    }
  }

  /**
   * The paths that could hold dataset {@code name}, in order of preference: the parts directory,
   * one file per known extension, then the exact name (served only if its content is Arrow).
   * Empty for hidden names.
   */
  public List<Path> candidates(DatasetName name) {
    List<String> all = name.segments();
    for (int i = 0; i < all.size(); i++) {
      String segment = all.get(i);
      // Hidden paths are never datasets; nor is anything inside another dataset's parts directory.
      if (segment.startsWith(".") || (i < all.size() - 1 && segment.endsWith(PARTS_SUFFIX))) {
        return List.of();
      }
    }
    Path parent = parentOf(name);
    String leaf = name.leaf();
    List<Path> candidates = new ArrayList<>(EXTENSIONS.size() + 2);
    candidates.add(parent.resolve(leaf + PARTS_SUFFIX));
    for (String extension : EXTENSIONS) {
      candidates.add(parent.resolve(leaf + extension));
    }
    if (knownExtension(leaf) == null) {
      candidates.add(parent.resolve(leaf));
    }
    return candidates;
  }

  /** A regular file whose real location is inside the root. */
  private boolean isServable(Path candidate) {
    try {
      if (!Files.isRegularFile(candidate)) {
        return false;
      }
      return candidate.toRealPath().startsWith(root);
    } catch (IOException | SecurityException e) {
      return false;
    }
  }

  private static boolean isArrow(Path file) {
    try {
      return IpcFormat.sniff(file).isPresent();
    } catch (IOException e) {
      return false;
    }
  }

  /** The name a file under the root is served as, or empty if it is not a dataset. */
  Optional<DatasetName> nameOf(Path file) {
    List<String> segments = segmentsOf(file);
    String leaf = segments.get(segments.size() - 1);
    String extension = knownExtension(leaf);
    if (extension != null) {
      segments.set(segments.size() - 1, leaf.substring(0, leaf.length() - extension.length()));
    } else if (!isArrow(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(DatasetName.of(segments));
    } catch (ProtocolException e) {
      log.debug("not serving {}: its path is not a valid dataset name ({})", file, e.getMessage());
      return Optional.empty();
    }
  }

  private Optional<DatasetName> partsName(Path dir) {
    List<String> segments = segmentsOf(dir);
    String leaf = segments.get(segments.size() - 1);
    segments.set(segments.size() - 1, leaf.substring(0, leaf.length() - PARTS_SUFFIX.length()));
    try {
      return Optional.of(DatasetName.of(segments));
    } catch (ProtocolException e) {
      return Optional.empty();
    }
  }

  private static String knownExtension(String fileName) {
    for (String extension : EXTENSIONS) {
      if (fileName.endsWith(extension) && fileName.length() > extension.length()) {
        return extension;
      }
    }
    return null;
  }

  private static int preference(Path file) {
    String fileName = file.getFileName().toString();
    if (fileName.endsWith(PARTS_SUFFIX)) {
      return -1;
    }
    String extension = knownExtension(fileName);
    return extension == null ? EXTENSIONS.size() : EXTENSIONS.indexOf(extension);
  }

  /** Every dataset under the root, by name, each with the file {@link #locate} would pick. */
  public TreeMap<DatasetName, Path> scan() throws IOException {
    TreeMap<DatasetName, Path> found = new TreeMap<>();
    Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), MAX_DEPTH, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        if (dir.equals(root)) {
          return FileVisitResult.CONTINUE;
        }
        String dirName = dir.getFileName().toString();
        if (dirName.startsWith(".") || !dir.toRealPath().startsWith(root)) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        if (dirName.endsWith(PARTS_SUFFIX) && dirName.length() > PARTS_SUFFIX.length()) {
          partsName(dir).ifPresent(name -> found.merge(name, dir,
              (a, b) -> preference(a) <= preference(b) ? a : b));
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
        if (!attrs.isRegularFile() || file.getFileName().toString().startsWith(".") || !isServable(file)) {
          return FileVisitResult.CONTINUE;
        }
        nameOf(file).ifPresent(name -> found.merge(name, file,
            (a, b) -> preference(a) <= preference(b) ? a : b));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        // A file removed while we walk, a symlink loop, a directory we may not read: skip it.
        if (!(e instanceof NoSuchFileException)) {
          log.debug("skipping {} while scanning the data root: {}", file, e.toString());
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return found;
  }
}
