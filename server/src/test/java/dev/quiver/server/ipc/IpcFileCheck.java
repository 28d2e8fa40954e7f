package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.quiver.protocol.ProtocolException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the fuzz targets demand of any file the server might map: indexing it either fails with an
 * {@link IpcFormatException} that says what is wrong, or yields an index that can be served. Serving
 * is walked as DoGet does it (plans, projections, every body byte that would be sent, read through
 * the mapping's bounds-checked segment) and every piece must lie inside its message's body. The
 * mapping is released afterwards, so the count of live mappings is back where it was.
 */
public final class IpcFileCheck {
  /** Projections of single columns are tried for this many columns (a hostile schema can have thousands). */
  private static final int SINGLE_COLUMN_PROJECTIONS = 4;

  public enum Outcome { REFUSED, INDEXED }

  private IpcFileCheck() {}

  /** Maps, indexes and walks {@code path}, which nothing may truncate meanwhile (that would be SIGBUS). */
  public static Outcome check(Path path) throws IOException {
    int mappingsBefore = MappedFile.liveMappings();
    MappedFile file = MappedFile.map(path);
    try {
      IpcIndex index;
      try {
        index = IpcIndexer.index(file);
      } catch (IpcFormatException e) {
        assertThat(e.getMessage()).as("what the operator is told").isNotBlank();
        return Outcome.REFUSED;
      }
      walk(file, index);
      return Outcome.INDEXED;
    } finally {
      file.release();
      assertThat(MappedFile.liveMappings()).as("live mappings after release").isEqualTo(mappingsBefore);
    }
  }

  /** Serves {@code index} of {@code file} in every way the checks can afford, reading what would be sent. */
  public static void walk(MappedFile file, IpcIndex index) {
    long size = file.size();
    for (IpcMessage m : index.messages()) {
      assertThat(m.bodyOffset()).as("body offset").isBetween(0L, size);
      assertThat(m.bodyLength()).as("body length").isBetween(0L, size - m.bodyOffset());
    }
    index.compressionCodecs();
    for (IpcMessage m : index.plan(0, index.batchCount(), index.schema().dictionaryIds())) {
      ArrowFiles.body(file, m);
    }
    for (int b = 0; b < index.batchCount(); b++) {
      index.plan(b, b + 1, index.schema().dictionaryIds());
    }
    // A dataset stored in parts is served through concat, which compares the parts' schemas.
    assertThatCode(() -> assertThat(IpcIndex.concat(List.of(index, index)).batchCount())
        .isEqualTo(2 * index.batchCount())).doesNotThrowAnyException();
    for (List<String> columns : projections(index.schema().fieldNames())) {
      project(file, index, columns);
    }
  }

  /** All unambiguous columns reversed, and a few of them alone. */
  private static List<List<String>> projections(List<String> names) {
    Set<String> seen = new HashSet<>();
    Set<String> duplicated = new HashSet<>();
    for (String name : names) {
      if (!seen.add(name)) {
        duplicated.add(name);
      }
    }
    List<String> unique = new ArrayList<>(names.stream().filter(n -> !duplicated.contains(n)).toList());
    List<List<String>> projections = new ArrayList<>();
    for (int i = 0; i < Math.min(SINGLE_COLUMN_PROJECTIONS, unique.size()); i++) {
      projections.add(List.of(unique.get(i)));
    }
    Collections.reverse(unique);
    projections.add(unique);
    return projections;
  }

  private static void project(MappedFile file, IpcIndex index, List<String> columns) {
    Projection projection;
    try {
      projection = Projection.of(index, columns);
    } catch (IpcFormatException e) {
      assertThat(e.getMessage()).isNotBlank();
      return;
    } catch (ProtocolException e) {
      throw new AssertionError("unambiguous, existing columns " + columns + " were refused", e);
    }
    for (IpcMessage m : index.plan(0, index.batchCount(), projection.dictionaryIds())) {
      if (!m.isRecordBatch()) {
        continue;
      }
      Projection.ProjectedBatch batch;
      try {
        batch = projection.project(m, "fuzzed batch");
      } catch (IpcFormatException e) {
        assertThat(e.getMessage()).isNotBlank();
        continue;
      }
      long total = 0;
      for (BodyPiece piece : batch.body()) {
        assertThat(piece.length()).isNotNegative();
        if (!piece.isZeros()) {
          assertThat(piece.fileOffset()).as("projected piece start").isBetween(m.bodyOffset(), m.bodyOffset() + m.bodyLength());
          assertThat(piece.length()).as("projected piece length").isLessThanOrEqualTo(m.bodyOffset() + m.bodyLength() - piece.fileOffset());
        }
        total += piece.length();
      }
      assertThat(total).as("projected pieces add up to the body").isEqualTo(batch.bodyLength());
      ArrowFiles.body(file, batch);
      // What a projection sends must pass the checks the server applies to what it receives.
      assertThatCode(() -> MessageValidator.check(projection.schema(), batch.header(), batch.bodyLength(), "projected"))
          .doesNotThrowAnyException();
    }
  }
}
