package dev.quiver.client.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * Writes Arrow IPC test tables with arrow-java and knows exactly what it wrote: columns {@code id}
 * (int64), {@code name} (utf8, with nulls and non-ASCII), {@code score} (float64, with nulls),
 * {@code tags} (list&lt;int32&gt;, with null lists and null items) and, optionally, {@code category}
 * (dictionary-encoded utf8, with nulls) whose dictionary a stream may replace halfway. Reads IPC
 * files and record batches back as plain Java values (dictionaries decoded), so tests compare values.
 */
public final class Tables {
  public static final long DICTIONARY_ID = 3L;
  public static final List<String> COLUMNS = List.of("id", "name", "score", "tags", "category");
  private static final String[] COLORS = {"red", "green", "blue", "cyan", "magenta"};
  private static final String[] WINDS = {"north", "south", "east", "west"};

  private Tables() {}

  /**
   * What to write.
   *
   * @param replaceDictionaryAt stream only: batches from this one on use another dictionary (-1: never)
   * @param codec               buffer compression arrow-java applies
   */
  public record Spec(int batches, int rows, boolean stream, boolean dictionary, int replaceDictionaryAt,
      CompressionUtil.CodecType codec) {
    public static Spec file(int batches, int rows) {
      return new Spec(batches, rows, false, true, -1, CompressionUtil.CodecType.NO_COMPRESSION);
    }

    public static Spec stream(int batches, int rows) {
      return new Spec(batches, rows, true, true, -1, CompressionUtil.CodecType.NO_COMPRESSION);
    }

    public Spec withoutDictionary() {
      return new Spec(batches, rows, stream, false, -1, codec);
    }

    /** Batches {@code batch} and later use a different dictionary (the stream format only can say so). */
    public Spec replacingDictionaryAt(int batch) {
      return new Spec(batches, rows, stream, dictionary, batch, codec);
    }

    public Spec compressed(CompressionUtil.CodecType type) {
      return new Spec(batches, rows, stream, dictionary, replaceDictionaryAt, type);
    }

    String[] dictionaryFor(int batch) {
      return replaceDictionaryAt >= 0 && batch >= replaceDictionaryAt ? WINDS : COLORS;
    }

    public long totalRows() {
      return (long) batches * rows;
    }
  }

  /** What a table holds: column names, then batches of rows of plain values. */
  public record Table(List<String> columns, List<List<List<Object>>> batches) {
    public long rows() {
      return batches.stream().mapToLong(List::size).sum();
    }

    /** Every row, batch boundaries forgotten. */
    public List<List<Object>> allRows() {
      return batches.stream().flatMap(List::stream).toList();
    }

    /** Only {@code from} to {@code to - 1} of the batches. */
    public Table batches(int from, int to) {
      return new Table(columns, batches.subList(from, to));
    }

    /** Only these columns, in this order. */
    public Table select(String... names) {
      List<List<List<Object>>> out = new ArrayList<>();
      for (List<List<Object>> batch : batches) {
        List<List<Object>> rows = new ArrayList<>();
        for (List<Object> row : batch) {
          List<Object> selected = new ArrayList<>();
          for (String name : names) {
            selected.add(row.get(columns.indexOf(name)));
          }
          rows.add(selected);
        }
        out.add(rows);
      }
      return new Table(List.of(names), out);
    }

    /** This table's batches followed by {@code other}'s. */
    public Table concat(Table other) {
      List<List<List<Object>>> all = new ArrayList<>(batches);
      all.addAll(other.batches);
      return new Table(columns, all);
    }
  }

  /** The schema on the wire: {@code category} has its value type and the dictionary encoding. */
  public static Schema schema(Spec spec) {
    return schema(spec.dictionary, ArrowType.Utf8.INSTANCE);
  }

  /** The schema as arrow-java holds it in memory: {@code category} as its int32 indices. */
  public static Schema memorySchema(Spec spec) {
    return schema(spec.dictionary, new ArrowType.Int(32, true));
  }

  private static Schema schema(boolean dictionary, ArrowType categoryType) {
    List<Field> fields = new ArrayList<>(List.of(
        Field.notNullable("id", new ArrowType.Int(64, true)),
        Field.nullable("name", ArrowType.Utf8.INSTANCE),
        Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
        new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE),
            List.of(Field.nullable("item", new ArrowType.Int(32, true))))));
    if (dictionary) {
      fields.add(new Field("category",
          new FieldType(true, categoryType, new DictionaryEncoding(DICTIONARY_ID, false, new ArrowType.Int(32, true))),
          null));
    }
    return new Schema(fields);
  }

  /** Writes {@code spec} to {@code file} (file or stream format as the spec says) and returns it. */
  public static Path write(Path file, Spec spec) throws IOException {
    if (spec.replaceDictionaryAt >= 0 && !spec.stream) {
      throw new IllegalArgumentException("the IPC file format cannot replace a dictionary");
    }
    try (BufferAllocator allocator = new RootAllocator();
         FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
             StandardOpenOption.WRITE);
         VarCharVector dictionaryValues = new VarCharVector("category-dictionary", allocator)) {
      fillDictionary(dictionaryValues, spec.dictionaryFor(0));
      DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider();
      if (spec.dictionary) {
        provider.put(new Dictionary(dictionaryValues,
            new DictionaryEncoding(DICTIONARY_ID, false, new ArrowType.Int(32, true))));
      }
      try (VectorSchemaRoot root = VectorSchemaRoot.create(memorySchema(spec), allocator);
           ArrowWriter writer = writer(spec, root, provider, channel)) {
        writer.start();
        for (int b = 0; b < spec.batches; b++) {
          if (b == spec.replaceDictionaryAt) {
            fillDictionary(dictionaryValues, spec.dictionaryFor(b));
          }
          fill(root, spec, b);
          writer.writeBatch();
        }
        writer.end();
      }
    }
    return file;
  }

  /**
   * Writes {@code spec} (no dictionary) as a stream in the pre-0.15 layout: metadata V4, no
   * continuation markers, a 4-byte end-of-stream marker.
   */
  public static Path writeLegacyStream(Path file, Spec spec) throws IOException {
    IpcOption legacy = new IpcOption(true, org.apache.arrow.vector.types.MetadataVersion.V4);
    try (BufferAllocator allocator = new RootAllocator();
         FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
             StandardOpenOption.WRITE);
         VectorSchemaRoot root = VectorSchemaRoot.create(memorySchema(spec.withoutDictionary()), allocator);
         ArrowStreamWriter writer = new ArrowStreamWriter(root, null, channel, legacy)) {
      writer.start();
      for (int b = 0; b < spec.batches; b++) {
        fill(root, spec.withoutDictionary(), b);
        writer.writeBatch();
      }
      writer.end();
    }
    return file;
  }

  private static ArrowWriter writer(Spec spec, VectorSchemaRoot root, DictionaryProvider provider,
      WritableByteChannel channel) {
    if (spec.codec == CompressionUtil.CodecType.NO_COMPRESSION) {
      return spec.stream ? new ArrowStreamWriter(root, provider, channel) : new ArrowFileWriter(root, provider, channel);
    }
    return spec.stream
        ? new ArrowStreamWriter(root, provider, channel, IpcOption.DEFAULT, CommonsCompressionFactory.INSTANCE,
            spec.codec)
        : new ArrowFileWriter(root, provider, channel, Map.of(), IpcOption.DEFAULT, CommonsCompressionFactory.INSTANCE,
            spec.codec);
  }

  private static void fillDictionary(VarCharVector vector, String[] values) {
    vector.clear();
    vector.allocateNew();
    for (int i = 0; i < values.length; i++) {
      vector.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
    }
    vector.setValueCount(values.length);
  }

  /** Fills {@code root} (with {@link #memorySchema}) with batch {@code batch} of {@code spec}. */
  public static void fill(VectorSchemaRoot root, Spec spec, int batch) {
    root.allocateNew();
    BigIntVector id = (BigIntVector) root.getVector("id");
    VarCharVector name = (VarCharVector) root.getVector("name");
    Float8Vector score = (Float8Vector) root.getVector("score");
    ListVector tags = (ListVector) root.getVector("tags");
    IntVector category = spec.dictionary ? (IntVector) root.getVector("category") : null;
    UnionListWriter tagWriter = tags.getWriter();
    String[] dictionary = spec.dictionaryFor(batch);
    for (int i = 0; i < spec.rows; i++) {
      long n = (long) batch * spec.rows + i;
      id.setSafe(i, n);
      String nameValue = nameOf(n);
      if (nameValue == null) {
        name.setNull(i);
      } else {
        name.setSafe(i, nameValue.getBytes(StandardCharsets.UTF_8));
      }
      if (n % 5 == 0) {
        score.setNull(i);
      } else {
        score.setSafe(i, n * 0.25);
      }
      if (n % 6 != 5) {
        tagWriter.setPosition(i);
        tagWriter.startList();
        for (int t = 0; t < n % 4; t++) {
          if ((n + t) % 9 == 0) {
            tagWriter.writeNull();
          } else {
            tagWriter.writeInt((int) (n * 10 + t));
          }
        }
        tagWriter.endList();
      }
      if (category != null) {
        if (n % 10 == 9) {
          category.setNull(i);
        } else {
          category.setSafe(i, (int) (n % dictionary.length));
        }
      }
    }
    root.setRowCount(spec.rows);
  }

  private static String nameOf(long n) {
    return n % 7 == 3 ? null : "name-" + n + (n % 3 == 0 ? "-ünïcødé" : "");
  }

  /** What {@code spec} writes, as {@link #read} gives it back. */
  public static Table expected(Spec spec) {
    List<List<List<Object>>> batches = new ArrayList<>();
    for (int b = 0; b < spec.batches; b++) {
      String[] dictionary = spec.dictionaryFor(b);
      List<List<Object>> rows = new ArrayList<>();
      for (int i = 0; i < spec.rows; i++) {
        long n = (long) b * spec.rows + i;
        List<Object> row = new ArrayList<>();
        row.add(n);
        row.add(nameOf(n));
        row.add(n % 5 == 0 ? null : n * 0.25);
        if (n % 6 == 5) {
          row.add(null);
        } else {
          List<Object> tags = new ArrayList<>();
          for (int t = 0; t < n % 4; t++) {
            tags.add((n + t) % 9 == 0 ? null : (int) (n * 10 + t));
          }
          row.add(tags);
        }
        if (spec.dictionary) {
          row.add(n % 10 == 9 ? null : dictionary[(int) (n % dictionary.length)]);
        }
        rows.add(row);
      }
      batches.add(rows);
    }
    List<String> columns = spec.dictionary ? COLUMNS : COLUMNS.subList(0, 4);
    return new Table(columns, batches);
  }

  /** Reads a local IPC file (file or stream format, by its magic), decompressing and decoding dictionaries. */
  public static Table read(Path file) throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      return read(file, allocator);
    }
  }

  private static Table read(Path file, BufferAllocator allocator) throws IOException {
    try (ArrowReader reader = isFileFormat(file)
        ? new ArrowFileReader(FileChannel.open(file), allocator, CommonsCompressionFactory.INSTANCE)
        : new ArrowStreamReader(Channels.newChannel(Files.newInputStream(file)), allocator,
            CommonsCompressionFactory.INSTANCE)) {
      return read(reader);
    }
  }

  /** Reads every remaining batch of {@code reader}. */
  public static Table read(ArrowReader reader) throws IOException {
    VectorSchemaRoot root = reader.getVectorSchemaRoot();
    List<List<List<Object>>> batches = new ArrayList<>();
    while (reader.loadNextBatch()) {
      batches.add(rows(root, reader));
    }
    return new Table(columnNames(root), batches);
  }

  public static List<String> columnNames(VectorSchemaRoot root) {
    return root.getSchema().getFields().stream().map(Field::getName).toList();
  }

  /** The rows of {@code root} as plain values, dictionary-encoded columns decoded with {@code dictionaries}. */
  public static List<List<Object>> rows(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    int count = root.getRowCount();
    List<List<Object>> rows = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      rows.add(new ArrayList<>());
    }
    for (FieldVector vector : root.getFieldVectors()) {
      DictionaryEncoding encoding = vector.getField().getDictionary();
      ValueVector values = encoding == null ? vector
          : DictionaryEncoder.decode(vector, dictionaries.lookup(encoding.getId()));
      try {
        for (int i = 0; i < count; i++) {
          rows.get(i).add(normalize(values.getObject(i)));
        }
      } finally {
        if (values != vector) {
          values.close();
        }
      }
    }
    return rows;
  }

  private static Object normalize(Object value) {
    if (value instanceof Text text) {
      return text.toString();
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object element : list) {
        out.add(normalize(element));
      }
      return out;
    }
    return value;
  }

  /** Whether {@code file} starts with the IPC file format's magic. */
  public static boolean isFileFormat(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return Arrays.equals(in.readNBytes(6), "ARROW1".getBytes(StandardCharsets.US_ASCII));
    }
  }
}
