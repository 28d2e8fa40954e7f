package dev.quiver.server.catalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * What identifies one version of a file: its inode (file key), size and modification time. A file
 * replaced by rename gets a new inode; one rewritten in place gets a new size or time. Either way
 * the cached index no longer matches and the file is indexed again.
 */
record FileSignature(Object fileKey, long size, FileTime modified) {
  static FileSignature of(Path path) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
    return new FileSignature(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FileSignature s && Objects.equals(fileKey, s.fileKey) && size == s.size
        && modified.equals(s.modified);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fileKey, size, modified);
  }
}
