package dev.quiver.server.upload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tells "the disk is full" apart from other I/O failures of an upload, so the client gets
 * RESOURCE_EXHAUSTED naming the dataset (as for the free-disk reserve) rather than an internal
 * error. The free-disk reserve is checked only at the start and every 64 batches, and other
 * programs fill disks too, so a write can still hit ENOSPC (or EDQUOT, a quota) mid-upload.
 */
final class DiskFull {
  /** Below this much usable space a failed write is taken for a full disk whatever its message says. */
  private static final long NEARLY_FULL_BYTES = 1 << 20;

  private DiskFull() {}

  /**
   * Whether {@code e}, thrown while writing under {@code directory}, means its filesystem is full.
   * Java gives no error code, only the system's text ("No space left on device", which a
   * localized system may translate), hence the look at the free space as well. Call it before
   * deleting the upload's files, which frees space.
   */
  static boolean explains(IOException e, Path directory) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String message = t.getMessage();
      if (message != null && (message.contains("No space left on device") || message.contains("Disk quota exceeded"))) {
        return true;
      }
    }
    try {
      return Files.getFileStore(directory).getUsableSpace() < NEARLY_FULL_BYTES;
    } catch (IOException | RuntimeException unknown) {
      return false;
    }
  }

  /** The reason of {@code e} as the system gave it, e.g. "No space left on device". */
  static String reason(IOException e) {
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
