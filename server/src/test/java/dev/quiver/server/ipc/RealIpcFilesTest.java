package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed seed files are what {@link RealIpcFiles#write} makes today, and each is a file the
 * server indexes and serves: the fuzz targets start from valid files, not from garbage.
 */
class RealIpcFilesTest {
  @TempDir Path dir;

  @Test
  void committedSeedsAreCurrentAndServable() throws Exception {
    List<byte[]> written = List.copyOf(RealIpcFiles.write().values());
    List<byte[]> committed = RealIpcFiles.load();
    assertThat(committed).hasSameSizeAs(written);
    for (int i = 0; i < written.size(); i++) {
      assertThat(committed.get(i)).as("seed %d (regenerate with RealIpcFiles.main)", i).isEqualTo(written.get(i));
      Path file = Files.write(dir.resolve("seed-" + i), committed.get(i));
      assertThat(IpcFileCheck.check(file)).isEqualTo(IpcFileCheck.Outcome.INDEXED);
    }
  }
}
