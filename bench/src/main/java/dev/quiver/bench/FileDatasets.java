package dev.quiver.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code .arrow} files the stock server serves: one file (named after it, without the
 * extension), or every {@code .arrow} file under a directory (named by its relative path without
 * the extension, {@code /}-separated).
 */
final class FileDatasets {
  private static final String EXTENSION = ".arrow";

  private final Path root;
  private final boolean singleFile;

  FileDatasets(Path data) {
    this.root = data.toAbsolutePath().normalize();
    this.singleFile = Files.isRegularFile(root);
  }

  /** The file for a dataset name, or null when there is none (names never leave the root). */
  Path locate(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.contains("\\")) {
      return null;
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        return null;
      }
    }
    if (singleFile) {
      return name.equals(nameOf(root.getFileName().toString())) ? root : null;
    }
    Path candidate = root.resolve(name + EXTENSION).normalize();
    return candidate.startsWith(root) && Files.isRegularFile(candidate) ? candidate : null;
  }

  /** Every dataset name, sorted. */
  List<String> names() {
    if (singleFile) {
      return List.of(nameOf(root.getFileName().toString()));
    }
    List<String> names = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(EXTENSION))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .forEach(p -> names.add(nameOf(root.relativize(p).toString().replace('\\', '/'))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    names.sort(null);
    return names;
  }

  private static String nameOf(String relative) {
    return relative.endsWith(EXTENSION) ? relative.substring(0, relative.length() - EXTENSION.length()) : relative;
  }
}
