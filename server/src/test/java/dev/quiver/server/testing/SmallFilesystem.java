package dev.quiver.server.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A filesystem of a few MiB (tmpfs) mounted on a new directory, for the tests of a full disk: on
 * it, writes fail with ENOSPC like on a full disk. Mounting needs root (CAP_SYS_ADMIN), as in CI;
 * where it is refused the test is skipped, with mount's own explanation as the reason.
 */
public final class SmallFilesystem implements AutoCloseable {
  private final Path path;

  private SmallFilesystem(Path path) {
    this.path = path;
  }

  /** Mounts a tmpfs of {@code bytes} on {@code mountPoint} (created), or skips the calling test. */
  public static SmallFilesystem mount(Path mountPoint, long bytes) throws IOException, InterruptedException {
    Files.createDirectories(mountPoint);
    Run mount = run("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0700", "quiver-test", mountPoint.toString());
    Assumptions.assumeTrue(mount.ok(), () -> "cannot mount a " + bytes + "-byte tmpfs on " + mountPoint
        + " to fill it (needs root, as in CI): " + mount.output());
    return new SmallFilesystem(mountPoint);
  }

  public Path path() {
    return path;
  }

  /** Bytes a non-root writer could still write. */
  public long usableBytes() throws IOException {
    return Files.getFileStore(path).getUsableSpace();
  }

  /** Unmounts; lazily if something still has a file open on it (it then goes once that closes). */
  @Override
  public void close() throws IOException, InterruptedException {
    if (!run("umount", path.toString()).ok()) {
      Run lazy = run("umount", "-l", path.toString());
      if (!lazy.ok()) {
        throw new IOException("cannot unmount the test filesystem " + path + ": " + lazy.output());
      }
    }
  }

  private record Run(boolean ok, String output) {}

  private static Run run(String... command) throws InterruptedException {
    try {
      Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      boolean exited = process.waitFor(30, TimeUnit.SECONDS);
      return new Run(exited && process.exitValue() == 0, output);
    } catch (IOException e) {
      return new Run(false, e.getMessage()); // no mount command at all
    }
  }
}
