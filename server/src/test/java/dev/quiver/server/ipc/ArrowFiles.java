package dev.quiver.server.ipc;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.flatbuf.Message;
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
import org.apache.arrow.vector.complex.StructVector;
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
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.MetadataVersion;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.apache.arrow.vector.util.Text;

/**
 * Test helper: writes Arrow IPC files with arrow-java (file or stream format, optionally LZ4/ZSTD
 * compressed, with a dictionary-encoded column that can be replaced mid-stream), knows the exact
 * values it wrote, reads IPC bytes back with arrow-java as plain Java values, and rebuilds an IPC
 * stream out of an {@link IpcIndex} (optionally through a {@link Projection}) the way the server
 * sends it, so that what the server would send can be decoded by an independent reader.
 *
 * <p>The server module publishes its test classes as a test-jar, and the client's tests use this
 * class too (hence the overloads that open their own allocator).
 */
public final class ArrowFiles {
  public static final long DICTIONARY_ID = 5L;
  public static final List<String> COLUMNS = List.of("id", "name", "score", "tags", "point", "category");
  static final String[] COLORS = {"red", "green", "blue", "cyan", "magenta"};
  static final String[] WINDS = {"north", "south", "east", "west"};
  private static final byte[] EOS = {-1, -1, -1, -1, 0, 0, 0, 0};
  /** The pre-0.15 IPC layout (no continuation markers, metadata V4), for {@link #bytes} and {@link #write}. */
  public static final IpcOption LEGACY = new IpcOption(true, MetadataVersion.V4);

  private ArrowFiles() {}

  public enum Codec {
    NONE(CompressionUtil.CodecType.NO_COMPRESSION),
    LZ4_FRAME(CompressionUtil.CodecType.LZ4_FRAME),
    ZSTD(CompressionUtil.CodecType.ZSTD);

    final CompressionUtil.CodecType type;

    Codec(CompressionUtil.CodecType type) {
      this.type = type;
    }
  }

  /**
   * What to write: format, compression, {@code batches} batches of {@code rows} rows, whether a
   * stream ends with the end-of-stream marker, from which batch on a stream uses a replacement
   * dictionary ({@code -1}: none), and whether the dictionary-encoded {@code category} column is
   * written at all.
   */
  public record Spec(boolean stream, Codec codec, int batches, int rows, boolean endOfStream, int replaceDictionaryAt,
      boolean dictionary) {
    /** With a {@code category} column whose dictionary, if {@code replaceDictionary}, is replaced halfway. */
    public Spec(boolean stream, Codec codec, int batches, int rows, boolean endOfStream, boolean replaceDictionary) {
      this(stream, codec, batches, rows, endOfStream, replaceDictionary ? halfway(batches) : -1, true);
    }

    public static Spec file(int batches, int rows) {
      return new Spec(false, Codec.NONE, batches, rows, true, false);
    }

    public static Spec stream(int batches, int rows) {
      return new Spec(true, Codec.NONE, batches, rows, true, false);
    }

    public Spec compressed(Codec c) {
      return new Spec(stream, c, batches, rows, endOfStream, replaceDictionaryAt, dictionary);
    }

    public Spec withoutEndOfStream() {
      return new Spec(stream, codec, batches, rows, false, replaceDictionaryAt, dictionary);
    }

    /** Stream only: batches from {@link #switchBatch()} on use a different dictionary. */
    public Spec replacingDictionary() {
      return replacingDictionaryAt(halfway(batches));
    }

    /** Stream only: batches from {@code batch} on use a different dictionary. */
    public Spec replacingDictionaryAt(int batch) {
      return new Spec(stream, codec, batches, rows, endOfStream, batch, dictionary);
    }

    /** Without the dictionary-encoded {@code category} column (so without any dictionary). */
    public Spec withoutDictionary() {
      return new Spec(stream, codec, batches, rows, endOfStream, -1, false);
    }

    public boolean replaceDictionary() {
      return replaceDictionaryAt >= 0;
    }

    public int switchBatch() {
      return replaceDictionary() ? replaceDictionaryAt : halfway(batches);
    }

    private static int halfway(int batches) {
      return Math.max(1, batches / 2);
    }

    public long totalRows() {
      return (long) batches * rows;
    }

    String[] dictionaryFor(int batch) {
      return replaceDictionary() && batch >= replaceDictionaryAt ? WINDS : COLORS;
    }

    @Override
    public String toString() {
      return (stream ? "stream" : "file") + "/" + codec + "/" + batches + "x" + rows
          + (endOfStream ? "" : "/no-eos") + (dictionary ? "" : "/no-dictionary")
          + (replaceDictionary()
              ? "/replaced-dictionary" + (replaceDictionaryAt == halfway(batches) ? "" : "@" + replaceDictionaryAt)
              : "");
    }
  }

  /** id int64, name utf8, score float64, tags list<int32>, point struct<x int32, label utf8>, category dictionary<utf8>. */
  public static Schema schema() {
    return schema(true, ArrowType.Utf8.INSTANCE);
  }

  /** The schema {@code spec} writes, as IPC messages carry it: {@code category}, if any, has its value type. */
  public static Schema schema(Spec spec) {
    return schema(spec.dictionary, ArrowType.Utf8.INSTANCE);
  }

  /** The schema as arrow-java holds it in memory: the dictionary-encoded column as its int32 indices. */
  public static Schema memorySchema() {
    return schema(true, new ArrowType.Int(32, true));
  }

  /** {@link #memorySchema()} for {@code spec}, which may leave out {@code category}. */
  public static Schema memorySchema(Spec spec) {
    return schema(spec.dictionary, new ArrowType.Int(32, true));
  }

  private static Schema schema(boolean dictionary, ArrowType categoryType) {
    List<Field> fields = new ArrayList<>(List.of(
        Field.notNullable("id", new ArrowType.Int(64, true)),
        Field.nullable("name", ArrowType.Utf8.INSTANCE),
        Field.nullable("score", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
        new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE),
            List.of(Field.nullable("item", new ArrowType.Int(32, true)))),
        new Field("point", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(
            Field.nullable("x", new ArrowType.Int(32, true)),
            Field.nullable("label", ArrowType.Utf8.INSTANCE)))));
    if (dictionary) {
      fields.add(new Field("category", new FieldType(true, categoryType, encoding()), null));
    }
    return new Schema(fields, Map.of("origin", "quiver-ipc-tests"));
  }

  /** The columns {@code spec} writes: {@link #COLUMNS}, without {@code category} if it has no dictionary. */
  public static List<String> columns(Spec spec) {
    return spec.dictionary ? COLUMNS : COLUMNS.subList(0, COLUMNS.size() - 1);
  }

  private static DictionaryEncoding encoding() {
    return new DictionaryEncoding(DICTIONARY_ID, false, new ArrowType.Int(32, true));
  }

  /** Writes {@code spec} to {@code file} and returns the path. */
  public static Path write(BufferAllocator allocator, Path file, Spec spec) throws IOException {
    Files.write(file, bytes(allocator, spec));
    return file;
  }

  /** {@link #write(BufferAllocator, Path, Spec)} on an allocator of its own. */
  public static Path write(Path file, Spec spec) throws IOException {
    return write(file, spec, IpcOption.DEFAULT);
  }

  /** Writes {@code spec} with {@code option} (e.g. {@link #LEGACY}) to {@code file}, on an allocator of its own. */
  public static Path write(Path file, Spec spec, IpcOption option) throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      Files.write(file, bytes(allocator, spec, option));
    }
    return file;
  }

  /** The bytes arrow-java writes for {@code spec}. */
  public static byte[] bytes(BufferAllocator allocator, Spec spec) throws IOException {
    return bytes(allocator, spec, IpcOption.DEFAULT);
  }

  /** The bytes arrow-java writes for {@code spec} with {@code option} (e.g. the pre-1.0 legacy layout). */
  public static byte[] bytes(BufferAllocator allocator, Spec spec, IpcOption option) throws IOException {
    if (spec.replaceDictionary() && !spec.stream) {
      throw new IllegalArgumentException("the file format cannot replace dictionaries");
    }
    if (spec.replaceDictionary() && !spec.dictionary) {
      throw new IllegalArgumentException("a spec without a dictionary cannot replace it");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WritableByteChannel channel = Channels.newChannel(out);
    try (VarCharVector dictionaryValues = new VarCharVector("category-dictionary", allocator)) {
      fillDictionary(dictionaryValues, spec.dictionaryFor(0));
      DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider();
      if (spec.dictionary) {
        provider.put(new Dictionary(dictionaryValues, encoding()));
      }
      try (VectorSchemaRoot root = VectorSchemaRoot.create(memorySchema(spec), allocator);
           ArrowWriter writer = writer(spec, option, root, provider, channel)) {
        writer.start();
        for (int b = 0; b < spec.batches; b++) {
          if (spec.replaceDictionary() && b == spec.switchBatch()) {
            fillDictionary(dictionaryValues, spec.dictionaryFor(b));
          }
          fill(root, spec, b);
          writer.writeBatch();
        }
        writer.end();
      }
    }
    byte[] bytes = out.toByteArray();
    if (spec.stream && !spec.endOfStream) {
      byte[] eos = option.write_legacy_ipc_format ? new byte[4] : EOS;
      byte[] tail = Arrays.copyOfRange(bytes, bytes.length - eos.length, bytes.length);
      if (!Arrays.equals(tail, eos)) {
        throw new IllegalStateException("arrow-java did not end the stream with an end-of-stream marker");
      }
      bytes = Arrays.copyOf(bytes, bytes.length - eos.length);
    }
    return bytes;
  }

  private static ArrowWriter writer(
      Spec spec, IpcOption option, VectorSchemaRoot root, DictionaryProvider provider, WritableByteChannel channel) {
    if (spec.codec == Codec.NONE) {
      return spec.stream
          ? new ArrowStreamWriter(root, provider, channel, option)
          : new ArrowFileWriter(root, provider, channel, Map.of("writer", "quiver-tests"), option);
    }
    return spec.stream
        ? new ArrowStreamWriter(root, provider, channel, option, CommonsCompressionFactory.INSTANCE, spec.codec.type)
        : new ArrowFileWriter(root, provider, channel, Map.of("writer", "quiver-tests"), option,
            CommonsCompressionFactory.INSTANCE, spec.codec.type);
  }

  private static void fillDictionary(VarCharVector vector, String[] values) {
    vector.clear();
    vector.allocateNew();
    for (int i = 0; i < values.length; i++) {
      vector.setSafe(i, values[i].getBytes(StandardCharsets.UTF_8));
    }
    vector.setValueCount(values.length);
  }

  /**
   * Fills {@code root} (of {@link #memorySchema(Spec)}) with batch {@code batch} of {@code spec};
   * {@code category} gets the dictionary indices.
   */
  public static void fill(VectorSchemaRoot root, Spec spec, int batch) {
    root.allocateNew();
    BigIntVector id = (BigIntVector) root.getVector("id");
    VarCharVector name = (VarCharVector) root.getVector("name");
    Float8Vector score = (Float8Vector) root.getVector("score");
    ListVector tags = (ListVector) root.getVector("tags");
    StructVector point = (StructVector) root.getVector("point");
    IntVector x = point.getChild("x", IntVector.class);
    VarCharVector label = point.getChild("label", VarCharVector.class);
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
      if (n % 8 == 7) {
        point.setNull(i);
        x.setNull(i);
        label.setNull(i);
      } else {
        point.setIndexDefined(i);
        if (n % 4 == 1) {
          x.setNull(i);
        } else {
          x.setSafe(i, (int) (n * 3));
        }
        label.setSafe(i, ("p" + n).getBytes(StandardCharsets.UTF_8));
      }
      if (category != null && n % 10 == 9) {
        category.setNull(i);
      } else if (category != null) {
        category.setSafe(i, (int) (n % dictionary.length));
      }
    }
    root.setRowCount(spec.rows);
  }

  private static String nameOf(long n) {
    if (n % 7 == 3) {
      return null;
    }
    return "name-" + n + (n % 3 == 0 ? "-ünïcødé" : "");
  }

  /** The values written in row {@code i} of batch {@code batch}, in {@link #columns} order, as {@link #read} gives them. */
  public static List<Object> expectedRow(Spec spec, int batch, int i) {
    long n = (long) batch * spec.rows + i;
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
    if (n % 8 == 7) {
      row.add(null);
    } else {
      Map<String, Object> point = new LinkedHashMap<>();
      if (n % 4 != 1) {
        point.put("x", (int) (n * 3));
      }
      point.put("label", "p" + n);
      row.add(point);
    }
    if (spec.dictionary) {
      String[] dictionary = spec.dictionaryFor(batch);
      row.add(n % 10 == 9 ? null : dictionary[(int) (n % dictionary.length)]);
    }
    return row;
  }

  /** Every batch written for {@code spec}: batches, rows, values in {@link #columns(Spec)} order. */
  public static List<List<List<Object>>> expected(Spec spec) {
    List<List<List<Object>>> batches = new ArrayList<>();
    for (int b = 0; b < spec.batches; b++) {
      batches.add(expectedBatch(spec, b));
    }
    return batches;
  }

  /** Every batch written for {@code spec}, with its column names, as {@link #read} gives it. */
  public static Table expectedTable(Spec spec) {
    return new Table(columns(spec), expected(spec));
  }

  public static List<List<Object>> expectedBatch(Spec spec, int batch) {
    List<List<Object>> rows = new ArrayList<>();
    for (int i = 0; i < spec.rows; i++) {
      rows.add(expectedRow(spec, batch, i));
    }
    return rows;
  }

  /** Keeps only {@code columns} (names from {@link #COLUMNS}), in that order, of every row. */
  public static List<List<List<Object>>> select(List<List<List<Object>>> batches, List<String> columns) {
    return select(batches, COLUMNS, columns);
  }

  private static List<List<List<Object>>> select(List<List<List<Object>>> batches, List<String> have,
      List<String> columns) {
    List<List<List<Object>>> out = new ArrayList<>();
    for (List<List<Object>> batch : batches) {
      List<List<Object>> rows = new ArrayList<>();
      for (List<Object> row : batch) {
        List<Object> selected = new ArrayList<>();
        for (String column : columns) {
          selected.add(row.get(have.indexOf(column)));
        }
        rows.add(selected);
      }
      out.add(rows);
    }
    return out;
  }

  /** What arrow-java reads from some IPC bytes: column names, then batches of rows of plain values. */
  /** One encapsulated IPC message as raw bytes: flatbuffer header and body. */
  public record RawMessage(byte[] header, byte[] body) {}

  /** Splits IPC stream bytes into messages (continuation marker, length, header, body), up to end-of-stream. */
  public static List<RawMessage> messages(byte[] stream) {
    ByteBuffer buffer = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN);
    List<RawMessage> out = new ArrayList<>();
    while (buffer.remaining() >= 8) {
      int continuation = buffer.getInt();
      if (continuation != -1) {
        throw new IllegalArgumentException("no continuation marker at byte " + (buffer.position() - 4));
      }
      int length = buffer.getInt();
      if (length == 0) {
        break;
      }
      byte[] header = new byte[length];
      buffer.get(header);
      long bodyLength = Message.getRootAsMessage(ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN)).bodyLength();
      byte[] body = new byte[Math.toIntExact(bodyLength)];
      buffer.get(body);
      out.add(new RawMessage(header, body));
    }
    return out;
  }

  public record Table(List<String> columns, List<List<List<Object>>> batches) {
    /** Only these columns, in this order. */
    public Table select(String... names) {
      return new Table(List.of(names), ArrowFiles.select(batches, columns, List.of(names)));
    }

    /** Only batches {@code from} to {@code to - 1}. */
    public Table batches(int from, int to) {
      return new Table(columns, batches.subList(from, to));
    }

    /** This table's batches followed by {@code other}'s. */
    public Table concat(Table other) {
      List<List<List<Object>>> all = new ArrayList<>(batches);
      all.addAll(other.batches);
      return new Table(columns, all);
    }
  }

  /** Reads file- or stream-format bytes with arrow-java, decoding dictionaries and decompressing. */
  public static Table read(BufferAllocator allocator, byte[] bytes) throws IOException {
    try (ArrowReader reader = isFileFormat(bytes)
        ? new ArrowFileReader(new ByteArrayReadableSeekableByteChannel(bytes), allocator, CommonsCompressionFactory.INSTANCE)
        : new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator, CommonsCompressionFactory.INSTANCE)) {
      return read(reader);
    }
  }

  /** {@link #read(BufferAllocator, byte[])} of a local file, on an allocator of its own. */
  public static Table read(Path file) throws IOException {
    try (BufferAllocator allocator = new RootAllocator()) {
      return read(allocator, Files.readAllBytes(file));
    }
  }

  /** Reads every remaining batch of {@code reader}. */
  public static Table read(ArrowReader reader) throws IOException {
    VectorSchemaRoot root = reader.getVectorSchemaRoot();
    List<String> columns = columnNames(root);
    List<List<List<Object>>> batches = new ArrayList<>();
    while (reader.loadNextBatch()) {
      batches.add(rows(root, reader));
    }
    return new Table(columns, batches);
  }

  public static List<String> columnNames(VectorSchemaRoot root) {
    return root.getSchema().getFields().stream().map(Field::getName).toList();
  }

  /** The rows of {@code root} as plain values, dictionary-encoded columns decoded with {@code dictionaries}. */
  public static List<List<Object>> rows(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    int rowCount = root.getRowCount();
    List<List<Object>> rows = new ArrayList<>();
    for (int i = 0; i < rowCount; i++) {
      rows.add(new ArrayList<>());
    }
    for (FieldVector vector : root.getFieldVectors()) {
      DictionaryEncoding encoding = vector.getField().getDictionary();
      ValueVector values = encoding == null
          ? vector
          : DictionaryEncoder.decode(vector, dictionaries.lookup(encoding.getId()));
      try {
        for (int i = 0; i < rowCount; i++) {
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

  /** Whether {@code bytes} start with the IPC file format's magic. */
  public static boolean isFileFormat(byte[] bytes) {
    return bytes.length >= 6 && new String(bytes, 0, 6, StandardCharsets.US_ASCII).equals("ARROW1");
  }

  /** Whether {@code file} starts with the IPC file format's magic. */
  public static boolean isFileFormat(Path file) throws IOException {
    try (java.io.InputStream in = Files.newInputStream(file)) {
      return isFileFormat(in.readNBytes(6));
    }
  }

  static Object normalize(Object value) {
    if (value instanceof Text text) {
      return text.toString();
    }
    if (value instanceof byte[] bytes) {
      return java.util.HexFormat.of().formatHex(bytes);
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>(list.size());
      for (Object element : list) {
        out.add(normalize(element));
      }
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), normalize(v)));
      return out;
    }
    return value;
  }

  // ---- rebuilding what the server sends -------------------------------------------------------------

  /** Batches {@code [start, end)} of an indexed file as one IPC stream, every dictionary included. */
  public static byte[] reassemble(MappedFile file, IpcIndex index, int start, int end) {
    StreamBuilder stream = new StreamBuilder();
    stream.message(index.schemaHeader(), new byte[0]);
    for (IpcMessage m : index.plan(start, end, IpcIndexer.dictionaryIds(index.schema()))) {
      stream.message(m.header(), body(file, m));
    }
    return stream.finish();
  }

  /** Batches {@code [start, end)} cut down by {@code projection}, as one IPC stream. */
  public static byte[] reassemble(MappedFile file, IpcIndex index, Projection projection, int start, int end)
      throws IpcFormatException {
    StreamBuilder stream = new StreamBuilder();
    stream.message(projection.schemaHeader(), new byte[0]);
    for (IpcMessage m : index.plan(start, end, projection.dictionaryIds())) {
      if (m.isRecordBatch()) {
        Projection.ProjectedBatch batch = projection.project(m, "test batch");
        stream.message(batch.header(), body(file, batch));
      } else {
        stream.message(m.header(), body(file, m));
      }
    }
    return stream.finish();
  }

  /** The body of a message, copied out of the mapping. */
  public static byte[] body(MappedFile file, IpcMessage m) {
    return file.segment().asSlice(m.bodyOffset(), m.bodyLength()).toArray(ValueLayout.JAVA_BYTE);
  }

  /** The body of a projected batch, assembled from its pieces. */
  public static byte[] body(MappedFile file, Projection.ProjectedBatch batch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (BodyPiece piece : batch.body()) {
      if (piece.isZeros()) {
        out.writeBytes(new byte[Math.toIntExact(piece.length())]);
      } else {
        out.writeBytes(file.segment().asSlice(piece.fileOffset(), piece.length()).toArray(ValueLayout.JAVA_BYTE));
      }
    }
    return out.toByteArray();
  }

  /** Encapsulated IPC messages (continuation marker, padded length, header, body), then end-of-stream. */
  public static final class StreamBuilder {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public StreamBuilder message(byte[] header, byte[] body) {
      int padded = ((header.length + 8 + 7) & ~7) - 8;
      out.writeBytes(le(-1));
      out.writeBytes(le(padded));
      out.writeBytes(header);
      out.writeBytes(new byte[padded - header.length]);
      out.writeBytes(body);
      return this;
    }

    public byte[] finish() {
      out.writeBytes(EOS);
      return out.toByteArray();
    }

    /** The bytes so far, without an end-of-stream marker. */
    public byte[] unfinished() {
      return out.toByteArray();
    }
  }

  static byte[] le(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
  }

  /** All dictionary ids of the test schema. */
  public static Set<Long> dictionaryIds() {
    return Set.of(DICTIONARY_ID);
  }

  // ---- schemas at the flatbuffer level ------------------------------------------------------------

  /** The flatbuffer Schema message arrow-java writes for {@code schema} (metadata V5, no IPC prefix). */
  public static byte[] schemaHeader(Schema schema) {
    ByteBuffer serialized = MessageSerializer.serializeMetadata(schema, IpcOption.DEFAULT);
    byte[] header = new byte[serialized.remaining()];
    serialized.get(header);
    return header;
  }

  /** {@code schema} as Quiver reads it from a file: the IpcSchema of its serialized Schema message. */
  static IpcSchema ipcSchema(Schema schema) {
    try {
      return IpcSchema.fromMessage(schemaHeader(schema));
    } catch (IpcFormatException e) {
      throw new AssertionError("arrow-java's schema message for " + schema + " is refused", e);
    }
  }

  /** The flatbuffer Schema table inside the Schema message arrow-java writes for {@code schema}. */
  static org.apache.arrow.flatbuf.Schema flatbufferSchema(Schema schema) {
    Message message = Message.getRootAsMessage(ByteBuffer.wrap(schemaHeader(schema)).order(ByteOrder.LITTLE_ENDIAN));
    return (org.apache.arrow.flatbuf.Schema) message.header(new org.apache.arrow.flatbuf.Schema());
  }
}
