package dev.quiver.server.upload;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hidden directory {@code <data root>/.quiver-uploads} where uploads are written before they are
 * renamed into place, and where replaced or deleted datasets go before being removed. Being inside
 * the data root keeps every rename on one filesystem (so it is atomic); being hidden keeps the
 * catalog from ever listing what is in it. Whatever a crash leaves here is removed at start-up.
 */
public final class UploadStaging {
  private static final Logger log = LoggerFactory.getLogger(UploadStaging.class);
  public static final String DIRECTORY = ".quiver-uploads";

  private final Path directory;

  private UploadStaging(Path directory) {
    this.directory = directory;
  }

  /**
   * The staging directory under {@code dataRoot}, emptied of what a crash left. It is created on
   * the first upload, so a read-only data directory can still be served.
   */
  public static UploadStaging open(Path dataRoot) {
    Path directory = dataRoot.resolve(DIRECTORY);
    if (Files.isDirectory(directory)) {
      try {
        int removed = deleteContents(directory);
        if (removed > 0) {
          log.info("removed {} leftover upload file(s) from {}", removed, directory);
        }
      } catch (IOException e) {
        log.warn("could not clean the upload staging directory {}: {}", directory, e.toString());
      }
    }
    return new UploadStaging(directory);
  }

  public Path directory() {
    return directory;
  }

  /** A new, empty temporary file for one upload. */
  public Path newFile() throws IOException {
    Files.createDirectories(directory);
    Path file = directory.resolve(UUID.randomUUID() + ".arrow.tmp");
    try (FileChannel created = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      return file;
    }
  }

  /** A fresh path in the staging area (only the staging directory itself is created). */
  public Path newPath(String suffix) throws IOException {
    Files.createDirectories(directory);
    return directory.resolve(UUID.randomUUID() + suffix);
  }

  /** Deletes a file or directory tree, ignoring what is already gone. */
  public static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      deleteContents(path);
    }
    Files.deleteIfExists(path);
  }

  private static int deleteContents(Path directory) throws IOException {
    int[] removed = {0};
    Files.walkFileTree(directory, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        removed[0]++;
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (!dir.equals(directory)) {
          Files.deleteIfExists(dir);
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }
    });
    return removed[0];
  }

  /** fsyncs a directory, so a rename into it survives a crash. */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
