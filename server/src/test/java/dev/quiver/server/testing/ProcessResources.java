package dev.quiver.server.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a Linux process holds, read from {@code /proc}: its open file descriptors and its memory
 * mappings, and which of them are files under a given directory (a data root). The leak checks of
 * the fault tests compare these before and after.
 *
 * @param openFiles     number of open file descriptors
 * @param filesUnder    targets of the descriptors open on files under the directory
 * @param mappingsUnder lines of {@code /proc/PID/maps} naming files under the directory
 */
public record ProcessResources(int openFiles, List<String> filesUnder, List<String> mappingsUnder) {

  /** This JVM's resources, the files under {@code dir}. */
  public static ProcessResources ofSelf(Path dir) throws IOException {
    return of(ProcessHandle.current().pid(), dir);
  }

  /** Process {@code pid}'s resources, the files under {@code dir}. */
  public static ProcessResources of(long pid, Path dir) throws IOException {
    Path proc = Path.of("/proc", Long.toString(pid));
    String prefix = dir.toRealPath().toString() + "/";
    int open = 0;
    List<String> under = new ArrayList<>();
    try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
      for (Path fd : fds.toList()) {
        open++;
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(prefix)) {
            under.add(target);
          }
        } catch (NoSuchFileException closedMeanwhile) {
          open--;
        }
      }
    }
    List<String> mappings = Files.readAllLines(proc.resolve("maps")).stream()
        .filter(line -> line.contains(prefix))
        .toList();
    return new ProcessResources(open, under, mappings);
  }

  /** This JVM's resources once its descriptor count has stopped moving (connections being closed). */
  public static ProcessResources settled(Path dir) throws IOException, InterruptedException {
    ProcessResources now = ofSelf(dir);
    for (int still = 0; still < 5; ) {
      Thread.sleep(50);
      ProcessResources next = ofSelf(dir);
      still = next.openFiles() == now.openFiles() ? still + 1 : 0;
      now = next;
    }
    return now;
  }

  /**
   * This JVM's resources once at most {@code openFiles} descriptors are open, or after 10 s: a
   * server notices a dropped connection a moment after its client.
   */
  public static ProcessResources settledAtMost(Path dir, int openFiles) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    ProcessResources now = ofSelf(dir);
    while (now.openFiles() > openFiles && System.nanoTime() < deadline) {
      Thread.sleep(50);
      now = ofSelf(dir);
    }
    return now;
  }

  /** Whether this platform has {@code /proc} (Linux). */
  public static boolean available() {
    return Files.isDirectory(Path.of("/proc/self/fd"));
  }
}
