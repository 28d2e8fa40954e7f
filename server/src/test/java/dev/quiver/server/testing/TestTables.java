package dev.quiver.server.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes Arrow IPC files with arrow-java for the integration tests, and can recompute the exact
 * contents of what it wrote, so tests compare what the server sends with what is on disk.
 *
 * <p>The "mixed" table has a primitive, a string, a nullable double, a list and a dictionary-encoded
 * string column: enough to exercise projection over variable-size, nested and dictionary layouts.
 */
public final class TestTables {
  public static final long CATEGORY_DICTIONARY_ID = 7L;
  private static final String[] CATEGORIES = {"alpha", "beta", "gamma", "delta"};

  private TestTables() {}

  /**
   * The schema in arrow-java's in-memory form, where the dictionary-encoded {@code category} column
   * has its index type (int32), as {@code VectorSchemaRoot} and {@code FlightStream} use it.
   */
  public static Schema mixedSchema() {
    return mixedSchema(new ArrowType.Int(32, true));
  }

  /**
   * The schema as IPC messages carry it (and FlightInfo decodes it): {@code category} has its value
   * type (utf8) plus the dictionary encoding.
   */
  public static Schema mixedSchemaOnWire() {
    return mixedSchema(ArrowType.Utf8.INSTANCE);
  }

  private static Schema mixedSchema(ArrowType categoryType) {
    return new Schema(List.of(
        Field.notNullable("id", new ArrowType.Int(64, true)),
        Field.nullable("name", ArrowType.Utf8.INSTANCE),
        Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
        new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE),
            List.of(Field.nullable("item", new ArrowType.Int(32, true)))),
        new Field("category", new FieldType(true, categoryType,
            new DictionaryEncoding(CATEGORY_DICTIONARY_ID, false, new ArrowType.Int(32, true))), null)),
        Map.of("origin", "quiver-tests"));
  }

  /** Writes the mixed table: {@code batches} batches of {@code rows} rows, file or stream format. */
  public static Path writeMixed(BufferAllocator allocator, Path file, int batches, int rows, boolean streamFormat)
      throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (VarCharVector dictionaryValues = new VarCharVector("category-values", allocator)) {
      for (int i = 0; i < CATEGORIES.length; i++) {
        dictionaryValues.setSafe(i, CATEGORIES[i].getBytes(StandardCharsets.UTF_8));
      }
      dictionaryValues.setValueCount(CATEGORIES.length);
      Dictionary dictionary = new Dictionary(dictionaryValues,
          new DictionaryEncoding(CATEGORY_DICTIONARY_ID, false, new ArrowType.Int(32, true)));
      DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(dictionary);
      Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
      try (VectorSchemaRoot root = VectorSchemaRoot.create(mixedSchema(), allocator);
           FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
               StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
           ArrowWriter writer = streamFormat
               ? new ArrowStreamWriter(root, provider, channel)
               : new ArrowFileWriter(root, provider, channel)) {
        writer.start();
        for (int b = 0; b < batches; b++) {
          fillMixed(root, (long) b * rows, rows);
          writer.writeBatch();
        }
        writer.end();
      }
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return file;
    }
  }

  /**
   * Fills {@code root} (of {@link #mixedSchema()}) with rows {@code first} to {@code first + rows}
   * of the mixed table, as {@link #mixedRow} describes them; {@code category} holds dictionary indices.
   */
  public static void fillMixed(VectorSchemaRoot root, long first, int rows) {
    root.allocateNew();
    BigIntVector id = (BigIntVector) root.getVector("id");
    VarCharVector name = (VarCharVector) root.getVector("name");
    Float8Vector score = (Float8Vector) root.getVector("score");
    ListVector tags = (ListVector) root.getVector("tags");
    IntVector category = (IntVector) root.getVector("category");
    UnionListWriter tagWriter = tags.getWriter();
    for (int i = 0; i < rows; i++) {
      long n = first + i;
      id.setSafe(i, n);
      name.setSafe(i, ("row-" + n).getBytes(StandardCharsets.UTF_8));
      if (n % 5 == 0) {
        score.setNull(i);
      } else {
        score.setSafe(i, n * 0.5);
      }
      tagWriter.setPosition(i);
      tagWriter.startList();
      for (int t = 0; t < n % 4; t++) {
        tagWriter.writeInt((int) (n + t));
      }
      tagWriter.endList();
      category.setSafe(i, (int) (n % CATEGORIES.length));
    }
    tagWriter.setValueCount(rows);
    root.setRowCount(rows);
  }

  /** The decoded value of row {@code n} of the mixed table, per column, as the tests compare it. */
  public static List<Object> mixedRow(long n) {
    List<Object> row = new ArrayList<>();
    row.add(n);
    row.add("row-" + n);
    row.add(n % 5 == 0 ? null : n * 0.5);
    List<Integer> tags = new ArrayList<>();
    for (int t = 0; t < n % 4; t++) {
      tags.add((int) (n + t));
    }
    row.add(tags);
    row.add(CATEGORIES[(int) (n % CATEGORIES.length)]);
    return row;
  }

  /** A wide numeric table for volume tests: two int64/float64 columns, ~1 MiB per batch of 65,536 rows. */
  public static Path writeNumbers(BufferAllocator allocator, Path file, int batches, int rows) throws IOException {
    return writeNumbers(allocator, file, batches, rows, 0);
  }

  /**
   * {@link #writeNumbers(BufferAllocator, Path, int, int)} counting from {@code first}: row {@code r}
   * (over all batches) holds {@code n = first + r}, {@code x = n / 2.0}. Files of the same shape
   * have the same size whatever {@code first}.
   */
  public static Path writeNumbers(BufferAllocator allocator, Path file, int batches, int rows, long first)
      throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (VectorSchemaRoot root = VectorSchemaRoot.create(numbersSchema(), allocator);
         FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
             StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      writeNumbers(root, writer, batches, rows, first);
    }
    return file;
  }

  /** The numbers table of {@link #writeNumbers(BufferAllocator, Path, int, int, long)} as an IPC stream, in memory. */
  public static byte[] numbersStream(BufferAllocator allocator, int batches, int rows, long first) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(numbersSchema(), allocator);
         ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(bytes))) {
      writeNumbers(root, writer, batches, rows, first);
    }
    return bytes.toByteArray();
  }

  private static Schema numbersSchema() {
    return new Schema(List.of(
        Field.notNullable("n", new ArrowType.Int(64, true)),
        Field.notNullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
  }

  private static void writeNumbers(VectorSchemaRoot root, ArrowWriter writer, int batches, int rows, long first)
      throws IOException {
    writer.start();
    BigIntVector n = (BigIntVector) root.getVector("n");
    Float8Vector x = (Float8Vector) root.getVector("x");
    for (int b = 0; b < batches; b++) {
      n.allocateNew(rows);
      x.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        long v = first + (long) b * rows + i;
        n.set(i, v);
        x.set(i, v / 2.0);
      }
      root.setRowCount(rows);
      writer.writeBatch();
    }
    writer.end();
  }

  /** Reads row {@code i} of {@code root} as plain Java values, decoding {@code category} via the dictionary. */
  public static List<Object> row(VectorSchemaRoot root, int i, DictionaryProvider dictionaries) {
    List<Object> values = new ArrayList<>();
    for (FieldVector vector : root.getFieldVectors()) {
      Object value = vector.getObject(i);
      DictionaryEncoding encoding = vector.getField().getDictionary();
      if (encoding != null && value != null) {
        Dictionary dictionary = dictionaries.lookup(encoding.getId());
        try (FieldVector decoded = (FieldVector) DictionaryEncoder.decode(vector, dictionary)) {
          value = decoded.getObject(i);
        }
      }
      values.add(normalize(value));
    }
    return values;
  }

  private static Object normalize(Object value) {
    if (value instanceof org.apache.arrow.vector.util.Text text) {
      return text.toString();
    }
    if (value instanceof List<?> list) {
      return new ArrayList<>(list);
    }
    return value;
  }
}
