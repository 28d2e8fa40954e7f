package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.quiver.server.ipc.ArrowFiles.Codec;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Feeds damaged Arrow files to {@link IpcIndexer} and {@link Projection}. Whatever the damage, the
 * outcome must be a usable index (whose messages lie inside the file) or an {@link IpcFormatException}
 * with a message; any other exception or error is a bug, and so is a projected body piece outside
 * the file. Every mutation is derived from a fixed seed, so failures are reproducible; the failure
 * message names each distinct problem with one example mutation.
 */
class IpcCorruptionTest {
  private static final int MAX_PROBLEMS_SHOWN = 20;

  @TempDir static Path dir;
  private static BufferAllocator allocator;
  private static Map<String, byte[]> bases;
  private static int mappingsBefore;

  @BeforeAll
  static void writeBases() throws IOException {
    mappingsBefore = MappedFile.liveMappings();
    allocator = new RootAllocator();
    bases = new LinkedHashMap<>();
    bases.put("file", ArrowFiles.bytes(allocator, Spec.file(3, 4)));
    bases.put("file-zstd", ArrowFiles.bytes(allocator, Spec.file(2, 5).compressed(Codec.ZSTD)));
    bases.put("file-lz4", ArrowFiles.bytes(allocator, Spec.file(2, 3).compressed(Codec.LZ4_FRAME)));
    bases.put("stream", ArrowFiles.bytes(allocator, Spec.stream(3, 4)));
    bases.put("stream-no-eos", ArrowFiles.bytes(allocator, Spec.stream(2, 4).withoutEndOfStream()));
    bases.put("stream-replaced-dictionary", ArrowFiles.bytes(allocator, Spec.stream(4, 3).replacingDictionary()));
    bases.put("stream-lz4", ArrowFiles.bytes(allocator, Spec.stream(2, 5).compressed(Codec.LZ4_FRAME)));
  }

  @AfterAll
  static void closeAllocator() {
    assertThat(allocator.getAllocatedMemory()).isZero();
    allocator.close();
    assertThat(MappedFile.liveMappings()).isEqualTo(mappingsBefore);
  }

  static Stream<String> baseNames() {
    return Stream.of("file", "file-zstd", "file-lz4", "stream", "stream-no-eos", "stream-replaced-dictionary",
        "stream-lz4");
  }

  /** Maps, indexes and projects inputs, collecting every outcome that is not allowed. */
  private static final class Checker {
    private final Path scratch;
    private final Map<String, List<String>> problems = new LinkedHashMap<>();
    private final Map<String, Set<String>> problemInputs = new HashMap<>();
    int indexed;
    int rejected;
    int projected;

    Checker(String name) {
      this.scratch = dir.resolve(name + ".bin");
    }

    void check(String label, byte[] bytes) throws IOException {
      Files.write(scratch, bytes);
      MappedFile file = MappedFile.map(scratch);
      try {
        IpcIndex index;
        try {
          index = IpcIndexer.index(file);
        } catch (IpcFormatException e) {
          if (e.getMessage() == null || e.getMessage().isBlank()) {
            problem("IpcFormatException without a message", label, e);
          }
          rejected++;
          return;
        } catch (Throwable t) {
          problem("index: " + describe(t), label, t);
          return;
        }
        indexed++;
        checkIndex(label, index, bytes.length);
      } finally {
        file.release();
      }
    }

    private void checkIndex(String label, IpcIndex index, long size) {
      for (IpcMessage m : index.messages()) {
        if (m.bodyOffset() < 0 || m.bodyLength() < 0 || m.bodyOffset() + m.bodyLength() > size) {
          problem("indexed message body outside the file", label, null);
        }
      }
      try {
        index.plan(0, index.batchCount(), IpcIndexer.dictionaryIds(index.schema()));
      } catch (Throwable t) {
        problem("plan: " + describe(t), label, t);
      }
      List<String> names = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      Set<String> duplicated = new HashSet<>();
      List<String> fieldNames = index.schema().fieldNames();
      for (String name : fieldNames) {
        if (!seen.add(name)) {
          duplicated.add(name);
        }
      }
      for (String name : fieldNames) {
        if (!duplicated.contains(name) && !names.contains(name)) {
          names.add(name);
        }
      }
      List<String> reversed = new ArrayList<>(names);
      java.util.Collections.reverse(reversed);
      List<List<String>> projections = new ArrayList<>();
      projections.add(reversed);
      if (!names.isEmpty()) {
        projections.add(List.of(names.get(0)));
      }
      for (List<String> columns : projections) {
        Projection projection;
        try {
          projection = Projection.of(index, columns);
        } catch (IpcFormatException e) {
          // a schema the indexer accepted but that cannot be rewritten: allowed, with a message
          if (e.getMessage() == null || e.getMessage().isBlank()) {
            problem("IpcFormatException without a message (Projection.of)", label, e);
          }
          continue;
        } catch (Throwable t) {
          problem("Projection.of: " + describe(t), label, t);
          continue;
        }
        for (int b = 0; b < index.batchCount(); b++) {
          IpcMessage batch = index.batch(b);
          Projection.ProjectedBatch result;
          try {
            result = projection.project(batch, "batch " + b);
          } catch (IpcFormatException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
              problem("IpcFormatException without a message (projection)", label, e);
            }
            continue;
          } catch (Throwable t) {
            problem("project: " + describe(t), label, t);
            continue;
          }
          projected++;
          long total = 0;
          for (BodyPiece piece : result.body()) {
            if (piece.length() < 0) {
              problem("projected piece of negative length", label, null);
            }
            if (!piece.isZeros() && (piece.fileOffset() < batch.bodyOffset()
                || piece.fileOffset() + piece.length() > batch.bodyOffset() + batch.bodyLength()
                || piece.fileOffset() + piece.length() > size)) {
              problem("projected piece outside the batch body", label, null);
            }
            total += piece.length();
          }
          if (total != result.bodyLength()) {
            problem("projected pieces do not add up to the body length", label, null);
          }
          try {
            Message message = Message.getRootAsMessage(ByteBuffer.wrap(result.header()).order(ByteOrder.LITTLE_ENDIAN));
            if (message.headerType() != MessageHeader.RecordBatch || message.bodyLength() != result.bodyLength()) {
              problem("projected header does not describe the projected body", label, null);
            }
          } catch (RuntimeException e) {
            problem("projected header unreadable: " + describe(e), label, e);
          }
        }
      }
    }

    private void problem(String kind, String label, Throwable t) {
      // one entry per input (an input can fail the same way for several projections or batches)
      Set<String> inputs = problemInputs.computeIfAbsent(kind, k -> new HashSet<>());
      if (!inputs.add(label)) {
        return;
      }
      List<String> examples = problems.computeIfAbsent(kind, k -> new ArrayList<>());
      examples.add(examples.size() < 3 ? label + (t == null ? "" : " -> " + t) : null);
    }

    /** Exception class and the first frame of Quiver code (or the top frame): one entry per distinct bug. */
    private static String describe(Throwable t) {
      StackTraceElement where = null;
      for (StackTraceElement frame : t.getStackTrace()) {
        if (frame.getClassName().startsWith("dev.quiver.server.ipc.") && !frame.getClassName().contains("Test")
            && !frame.getClassName().contains("ArrowFiles")) {
          where = frame;
          break;
        }
      }
      if (where == null && t.getStackTrace().length > 0) {
        where = t.getStackTrace()[0];
      }
      return t.getClass().getSimpleName() + " at " + where;
    }

    void assertNoProblems() {
      StringBuilder report = new StringBuilder();
      int shown = 0;
      for (Map.Entry<String, List<String>> e : problems.entrySet()) {
        if (shown++ == MAX_PROBLEMS_SHOWN) {
          report.append("\n  ...");
          break;
        }
        report.append("\n  ").append(e.getKey()).append(" (").append(e.getValue().size()).append(" inputs), e.g.");
        for (String example : e.getValue()) {
          if (example != null) {
            report.append("\n      ").append(example);
          }
        }
      }
      if (!problems.isEmpty()) {
        fail("inputs that did not end in an index or an IpcFormatException:" + report);
      }
    }
  }

  /** Byte ranges of a valid file that are not message bodies: headers, footer, magic, prefixes. */
  private static List<long[]> metadataRanges(byte[] bytes) throws IOException {
    Path path = Files.write(dir.resolve("valid-" + System.nanoTime()), bytes);
    MappedFile file = MappedFile.map(path);
    try {
      IpcIndex index = IpcIndexer.index(file);
      List<long[]> bodies = new ArrayList<>();
      for (IpcMessage m : index.messages()) {
        bodies.add(new long[] {m.bodyOffset(), m.bodyOffset() + m.bodyLength()});
      }
      bodies.sort((a, b) -> Long.compare(a[0], b[0]));
      List<long[]> ranges = new ArrayList<>();
      long cursor = 0;
      for (long[] body : bodies) {
        if (body[0] > cursor) {
          ranges.add(new long[] {cursor, body[0]});
        }
        cursor = Math.max(cursor, body[1]);
      }
      if (cursor < bytes.length) {
        ranges.add(new long[] {cursor, bytes.length});
      }
      return ranges;
    } finally {
      file.release();
    }
  }

  /** A position inside the metadata most of the time, anywhere in the file otherwise. */
  private static int position(Random random, List<long[]> metadata, int size, int width) {
    if (random.nextInt(4) != 0) {
      long[] range = metadata.get(random.nextInt(metadata.size()));
      int p = (int) (range[0] + random.nextInt((int) (range[1] - range[0])));
      return Math.min(p, size - width);
    }
    return random.nextInt(size - width + 1);
  }

  private static final int[] EXTREME_INTS = {0, -1, 1, 8, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7FFFFFF0,
      0x7FFFFFF8, 0xFFFF, 0x10000, -8};
  private static final long[] EXTREME_LONGS = {0, -1, 1, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 7,
      0x7FFFFFFFL, 0xFFFFFFFFL, 1L << 40};
  private static final int[] DELTAS = {1, -1, 2, -2, 4, -4, 8, -8, 12, -12, 16, -16, 24, -24, 64, -64};

  @ParameterizedTest(name = "{0}")
  @MethodSource("baseNames")
  void truncationAtEveryLength(String base) throws IOException {
    byte[] bytes = bases.get(base);
    Checker checker = new Checker("truncated-" + base);
    Random random = new Random(base.hashCode());
    // every length for the small files; otherwise every length near the ends and a sample in between
    for (int length = 0; length < bytes.length; length++) {
      boolean check = bytes.length <= 3000 || length < 600 || length > bytes.length - 600 || random.nextInt(4) == 0;
      if (check) {
        checker.check(base + " truncated to " + length + " of " + bytes.length + " bytes", Arrays.copyOf(bytes, length));
      }
    }
    checker.assertNoProblems();
    assertThat(checker.rejected).isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("baseNames")
  void singleByteOverwrites(String base) throws IOException {
    byte[] bytes = bases.get(base);
    List<long[]> metadata = metadataRanges(bytes);
    Checker checker = new Checker("bytes-" + base);
    Random random = new Random(31L * base.hashCode() + 1);
    for (int i = 0; i < 1200; i++) {
      int p = position(random, metadata, bytes.length, 1);
      byte value = switch (random.nextInt(4)) {
        case 0 -> (byte) random.nextInt(256);
        case 1 -> (byte) (bytes[p] ^ (1 << random.nextInt(8)));
        case 2 -> (byte) 0xFF;
        default -> 0;
      };
      if (value == bytes[p]) {
        continue;
      }
      byte[] copy = bytes.clone();
      copy[p] = value;
      checker.check(String.format("%s byte@%d %02x->%02x", base, p, bytes[p] & 0xFF, value & 0xFF), copy);
    }
    checker.assertNoProblems();
    assertThat(checker.indexed).as("some damage goes unnoticed by the indexer (e.g. inside bodies)").isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("baseNames")
  void intAndLongOverwrites(String base) throws IOException {
    byte[] bytes = bases.get(base);
    List<long[]> metadata = metadataRanges(bytes);
    Checker checker = new Checker("ints-" + base);
    Random random = new Random(17L * base.hashCode() + 3);
    for (int i = 0; i < 1000; i++) {
      int kind = random.nextInt(5);
      int width = kind == 4 ? 8 : kind == 3 ? 2 : 4;
      int p = position(random, metadata, bytes.length, width);
      if (random.nextBoolean()) {
        p -= p % width; // flatbuffer fields are aligned
      }
      ByteBuffer copy = ByteBuffer.wrap(bytes.clone()).order(ByteOrder.LITTLE_ENDIAN);
      String label;
      switch (kind) {
        case 0 -> {
          int v = EXTREME_INTS[random.nextInt(EXTREME_INTS.length)];
          copy.putInt(p, v);
          label = "int@" + p + "=" + v;
        }
        case 1 -> {
          int v = random.nextInt();
          copy.putInt(p, v);
          label = "int@" + p + "=" + v;
        }
        case 2 -> {
          int d = DELTAS[random.nextInt(DELTAS.length)];
          copy.putInt(p, copy.getInt(p) + d);
          label = "int@" + p + (d > 0 ? "+" : "") + d;
        }
        case 3 -> {
          short v = random.nextBoolean()
              ? (short) (copy.getShort(p) + DELTAS[random.nextInt(DELTAS.length)])
              : (short) random.nextInt(1 << 16);
          copy.putShort(p, v);
          label = "short@" + p + "=" + v;
        }
        default -> {
          long v = EXTREME_LONGS[random.nextInt(EXTREME_LONGS.length)];
          copy.putLong(p, v);
          label = "long@" + p + "=" + v;
        }
      }
      checker.check(base + " " + label, copy.array());
    }
    checker.assertNoProblems();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("baseNames")
  void severalMutationsAtOnce(String base) throws IOException {
    byte[] bytes = bases.get(base);
    List<long[]> metadata = metadataRanges(bytes);
    Checker checker = new Checker("multi-" + base);
    Random random = new Random(7L * base.hashCode() + 11);
    for (int i = 0; i < 500; i++) {
      ByteBuffer copy = ByteBuffer.wrap(bytes.clone()).order(ByteOrder.LITTLE_ENDIAN);
      StringBuilder label = new StringBuilder(base).append(" seed-case ").append(i).append(':');
      int mutations = 2 + random.nextInt(4);
      for (int m = 0; m < mutations; m++) {
        int p = position(random, metadata, bytes.length, 4);
        if (random.nextBoolean()) {
          int v = random.nextBoolean() ? EXTREME_INTS[random.nextInt(EXTREME_INTS.length)]
              : copy.getInt(p) + DELTAS[random.nextInt(DELTAS.length)];
          copy.putInt(p, v);
          label.append(" int@").append(p).append('=').append(v);
        } else {
          byte v = (byte) random.nextInt(256);
          copy.put(p, v);
          label.append(" byte@").append(p).append('=').append(v & 0xFF);
        }
      }
      byte[] mutated = copy.array();
      if (random.nextInt(4) == 0) {
        int length = random.nextInt(mutated.length + 1);
        mutated = Arrays.copyOf(mutated, length);
        label.append(" truncated to ").append(length);
      }
      checker.check(label.toString(), mutated);
    }
    checker.assertNoProblems();
  }

  @Test
  void degenerateInputs() throws IOException {
    Checker checker = new Checker("degenerate");
    byte[] magic = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    checker.check("empty file", new byte[0]);
    checker.check("one byte", new byte[] {'A'});
    checker.check("ARROW1", magic);
    checker.check("ARROW1ARROW1", "ARROW1ARROW1".getBytes(StandardCharsets.US_ASCII));
    checker.check("ARROW1 padded", "ARROW1\0\0".getBytes(StandardCharsets.US_ASCII));
    checker.check("magic, zero footer, magic", "ARROW1\0\0\0\0\0\0ARROW1".getBytes(StandardCharsets.US_ASCII));
    checker.check("end-of-stream only", new byte[] {-1, -1, -1, -1, 0, 0, 0, 0});
    checker.check("continuation only", new byte[] {-1, -1, -1, -1});
    Random random = new Random(12345);
    for (int i = 0; i < 300; i++) {
      byte[] noise = new byte[random.nextInt(i < 100 ? 32 : 4096)];
      random.nextBytes(noise);
      checker.check("random " + noise.length + " bytes #" + i, noise);
    }
    // file magic at both ends, garbage between, footer length of every interesting kind
    for (int i = 0; i < 400; i++) {
      int garbage = random.nextInt(i < 200 ? 64 : 2048);
      ByteBuffer b = ByteBuffer.allocate(8 + garbage + 4 + 6).order(ByteOrder.LITTLE_ENDIAN);
      b.put(magic).put((byte) 0).put((byte) 0);
      byte[] middle = new byte[garbage];
      random.nextBytes(middle);
      b.put(middle);
      int footer = switch (i % 5) {
        case 0 -> EXTREME_INTS[random.nextInt(EXTREME_INTS.length)];
        case 1 -> garbage;
        case 2 -> random.nextInt(garbage + 1);
        case 3 -> garbage - random.nextInt(64);
        default -> random.nextInt();
      };
      b.putInt(footer).put(magic);
      checker.check("ARROW1 + " + garbage + " random bytes + footer length " + footer + " + ARROW1", b.array());
    }
    // a stream prefix with a plausible length, then garbage
    for (int i = 0; i < 300; i++) {
      int garbage = random.nextInt(1024);
      ByteBuffer b = ByteBuffer.allocate(8 + garbage).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(-1).putInt(1 + random.nextInt(i % 2 == 0 ? Math.max(1, garbage) : Integer.MAX_VALUE));
      byte[] middle = new byte[garbage];
      random.nextBytes(middle);
      b.put(middle);
      checker.check("stream prefix + " + garbage + " random bytes #" + i, b.array());
    }
    checker.assertNoProblems();
    assertThat(checker.indexed).isZero();
  }

  /** A valid stream's schema message followed by random messages: exercises the message walk. */
  @Test
  void validSchemaThenGarbageMessages() throws IOException {
    byte[] stream = bases.get("stream");
    int schemaEnd = 8 + ByteBuffer.wrap(stream, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    Checker checker = new Checker("schema-then-garbage");
    Random random = new Random(99);
    for (int i = 0; i < 400; i++) {
      int garbage = random.nextInt(512);
      ByteBuffer b = ByteBuffer.allocate(schemaEnd + 8 + garbage).order(ByteOrder.LITTLE_ENDIAN);
      b.put(stream, 0, schemaEnd);
      b.putInt(-1).putInt(random.nextBoolean() ? garbage : random.nextInt(garbage + 16));
      byte[] middle = new byte[garbage];
      random.nextBytes(middle);
      b.put(middle);
      checker.check("schema + message of " + garbage + " random bytes #" + i, b.array());
    }
    checker.assertNoProblems();
  }
}
