package dev.quiver.server.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flatbuf.Date;
import org.apache.arrow.flatbuf.Decimal;
import org.apache.arrow.flatbuf.DictionaryEncoding;
import org.apache.arrow.flatbuf.Duration;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.FixedSizeBinary;
import org.apache.arrow.flatbuf.FixedSizeList;
import org.apache.arrow.flatbuf.FloatingPoint;
import org.apache.arrow.flatbuf.Int;
import org.apache.arrow.flatbuf.Interval;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Map;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.Schema;
import org.apache.arrow.flatbuf.Time;
import org.apache.arrow.flatbuf.Timestamp;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.flatbuf.Union;
import org.apache.arrow.vector.ipc.message.MessageSerializer;

/**
 * A dataset's schema as the IPC flatbuffers carry it, and the flatbuffer Schema message clients are
 * sent. Quiver reads schemas at this level rather than through arrow-java's {@code Schema} so that it
 * can serve every type the format defines (arrow-java 19 cannot decode 32/64-bit decimals, for
 * one) and so that a projection keeps every field exactly as written, metadata included.
 */
public final class IpcSchema {
  private final byte[] message;
  private final Schema schema;
  private final List<String> names;
  private final Set<Long> dictionaryIds;
  private final ColumnLayout[] layoutsV5;
  private final ColumnLayout[] layoutsV4;
  /** The fields copied canonically; see {@link #sameFieldsAs}. */
  private final byte[] canonicalFields;

  private IpcSchema(byte[] message) throws IpcFormatException {
    this.message = message;
    try {
      Message parsed = Message.getRootAsMessage(ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN));
      if (parsed.headerType() != MessageHeader.Schema) {
        throw new IpcFormatException("expected a schema message, found " + MessageHeader.name(parsed.headerType()));
      }
      this.schema = (Schema) parsed.header(new Schema());
      if (schema == null) {
        throw new IpcFormatException("schema message without a schema");
      }
      checkShape(schema);
      List<String> fieldNames = new ArrayList<>(schema.fieldsLength());
      Field field = new Field();
      for (int i = 0; i < schema.fieldsLength(); i++) {
        String name = schema.fields(field, i).name();
        fieldNames.add(name == null ? "" : name);
      }
      this.names = Collections.unmodifiableList(fieldNames);
      Set<Long> ids = new HashSet<>();
      for (int i = 0; i < schema.fieldsLength(); i++) {
        collectDictionaryIds(schema.fields(field, i), ids, 0);
      }
      this.dictionaryIds = Set.copyOf(ids);
      this.layoutsV5 = ColumnLayout.of(schema, org.apache.arrow.flatbuf.MetadataVersion.V5);
      this.layoutsV4 = ColumnLayout.of(schema, org.apache.arrow.flatbuf.MetadataVersion.V4);
      // Later uses of the schema copy it (file footers, append checks, the parts of a dataset,
      // projections), so a schema that cannot be copied (say, a type union pointing outside the
      // buffer) is refused here as a format error, not met later as an unexpected
      // IndexOutOfBoundsException. Copying is deterministic: what succeeds here succeeds later.
      // Found by fuzzing (IpcFileFuzzTest).
      this.canonicalFields = fieldsOnly(schema);
      writeTo(new FlatBufferBuilder(message.length + 64)); // schema metadata and features too
    } catch (IpcFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IpcFormatException("unreadable schema (" + e + ")", e);
    }
  }

  /** Wraps the flatbuffer Schema message {@code header} (as read from a file). */
  static IpcSchema fromMessage(byte[] header) throws IpcFormatException {
    return new IpcSchema(header);
  }

  /** Builds a Schema message around a schema found elsewhere (a file footer). */
  static IpcSchema fromSchema(Schema schema, short version) throws IpcFormatException {
    try {
      checkShape(schema);
      int[] all = new int[schema.fieldsLength()];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      return new IpcSchema(message(schema, all, version));
    } catch (RuntimeException e) {
      throw new IpcFormatException("unreadable footer schema (" + e + ")", e);
    }
  }

  /** The flatbuffer Schema message, sent as the first {@code FlightData} of a stream. */
  public byte[] messageHeader() {
    return message;
  }

  /** Top-level column names, in schema order. */
  public List<String> fieldNames() {
    return names;
  }

  /** Every dictionary id used anywhere in the schema, nested fields included. */
  public Set<Long> dictionaryIds() {
    return dictionaryIds;
  }

  /** Column layouts for batches written with metadata {@code version}. */
  ColumnLayout[] layouts(short version) {
    return version < org.apache.arrow.flatbuf.MetadataVersion.V5 ? layoutsV4 : layoutsV5;
  }

  /** The schema with only {@code columns} (indexes, in that order), fields copied unchanged. */
  IpcSchema project(int[] columns) throws IpcFormatException {
    try {
      Message parsed = Message.getRootAsMessage(ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN));
      return new IpcSchema(message(schema, columns, parsed.version()));
    } catch (RuntimeException e) {
      throw new IpcFormatException("unreadable schema (" + e + ")", e);
    }
  }

  /** Dictionary ids used by top-level column {@code index}. */
  Set<Long> dictionaryIds(int index) {
    Set<Long> ids = new HashSet<>();
    collectDictionaryIds(schema.fields(index), ids, 0);
    return ids;
  }

  /**
   * Whether {@code other} describes the same fields (names, types, nullability, dictionaries,
   * children, field metadata) in the same order. Schema-level metadata and the metadata version
   * of the message are not compared.
   */
  public boolean sameFieldsAs(IpcSchema other) {
    return java.util.Arrays.equals(canonicalFields, other.canonicalFields);
  }

  /** The first difference between this schema's fields and {@code other}'s, for error messages. */
  public String describeDifference(IpcSchema other) {
    List<String> mine = fieldNames();
    List<String> theirs = other.fieldNames();
    if (!mine.equals(theirs)) {
      return "columns are " + theirs + ", expected " + mine;
    }
    for (int i = 0; i < mine.size(); i++) {
      if (!java.util.Arrays.equals(fieldBytes(this, i), fieldBytes(other, i))) {
        return "column '" + mine.get(i) + "' has a different type, nullability, dictionary or metadata";
      }
    }
    return "schemas differ";
  }

  /** The fields re-serialized canonically (a fresh copy), so equal fields give equal bytes. */
  private static byte[] fieldsOnly(Schema schema) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    int[] fields = new int[schema.fieldsLength()];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = copyField(b, schema.fields(i));
    }
    b.finish(b.createVectorOfTables(fields));
    return b.sizedByteArray();
  }

  private static byte[] fieldBytes(IpcSchema schema, int index) {
    FlatBufferBuilder b = new FlatBufferBuilder(256);
    b.finish(copyField(b, schema.schema.fields(index)));
    return b.sizedByteArray();
  }

  /** arrow-java's view of this schema (tests and tools; fails for types arrow-java cannot decode). */
  public org.apache.arrow.vector.types.pojo.Schema toArrow() {
    return MessageSerializer.deserializeSchema(
        Message.getRootAsMessage(ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN)));
  }

  private static void collectDictionaryIds(Field field, Set<Long> ids, int depth) {
    if (depth > 64) {
      return; // ColumnLayout rejects such schemas with a clear message
    }
    if (field.dictionary() != null) {
      ids.add(field.dictionary().id());
    }
    for (int c = 0; c < field.childrenLength(); c++) {
      collectDictionaryIds(field.children(c), ids, depth + 1);
    }
  }

  // ---- checking untrusted schema flatbuffers before walking them ----

  /** Nesting deeper than this is a hostile schema, not data. */
  static final int MAX_DEPTH = 64;
  /** The smallest a flatbuffer table can be (its vtable offset), so at most bytes/4 fields exist. */
  private static final int MIN_TABLE_BYTES = 4;

  /**
   * Refuses a schema whose vectors claim more entries than its buffer can hold, that nests too
   * deep, or that has more fields than its bytes can encode (a hostile file can make every level
   * list the same child twice, so a plain walk would double its work per level). Every later walk
   * over the schema is bounded by what this one accepted.
   */
  private static void checkShape(Schema schema) throws IpcFormatException {
    int bytes = schema.getByteBuffer().capacity();
    int[] budget = {bytes / MIN_TABLE_BYTES + 1};
    checkVector(schema.fieldsLength(), Integer.BYTES, bytes, "schema fields");
    checkVector(schema.customMetadataLength(), Integer.BYTES, bytes, "schema metadata");
    checkVector(schema.featuresLength(), Long.BYTES, bytes, "schema features");
    Field field = new Field();
    for (int i = 0; i < schema.fieldsLength(); i++) {
      checkField(schema.fields(field, i), bytes, budget, 0);
    }
  }

  private static void checkField(Field field, int bytes, int[] budget, int depth) throws IpcFormatException {
    if (--budget[0] < 0) {
      throw new IpcFormatException("schema lists more fields than its " + bytes + " bytes can hold");
    }
    if (depth > MAX_DEPTH) {
      throw new IpcFormatException("schema nests fields more than " + MAX_DEPTH + " levels deep");
    }
    checkVector(field.childrenLength(), Integer.BYTES, bytes, "children of field '" + field.name() + "'");
    checkVector(field.customMetadataLength(), Integer.BYTES, bytes, "metadata of field '" + field.name() + "'");
    if (field.typeType() == Type.Union) {
      Union union = (Union) field.type(new Union());
      if (union != null) {
        checkVector(union.typeIdsLength(), Integer.BYTES, bytes, "type ids of union '" + field.name() + "'");
      }
    }
    Field child = new Field();
    for (int c = 0; c < field.childrenLength(); c++) {
      checkField(field.children(child, c), bytes, budget, depth + 1);
    }
  }

  private static void checkVector(int length, int elementBytes, int bytes, String what) throws IpcFormatException {
    if (length < 0 || (long) length * elementBytes > bytes) {
      throw new IpcFormatException(what + ": " + length + " entries cannot fit in a " + bytes + "-byte schema");
    }
  }

  // ---- copying schema flatbuffers field by field ----

  private static byte[] message(Schema source, int[] columns, short version) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024);
    int schema = schemaTable(b, source, columns);
    Message.startMessage(b);
    Message.addVersion(b, version);
    Message.addHeaderType(b, MessageHeader.Schema);
    Message.addHeader(b, schema);
    Message.addBodyLength(b, 0);
    Message.finishMessageBuffer(b, Message.endMessage(b));
    return b.sizedByteArray();
  }

  /** Writes this schema as a Schema table into {@code b} (for a file footer) and returns its offset. */
  public int writeTo(FlatBufferBuilder b) {
    int[] all = new int[schema.fieldsLength()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return schemaTable(b, schema, all);
  }

  private static int schemaTable(FlatBufferBuilder b, Schema source, int[] columns) {
    int[] fields = new int[columns.length];
    for (int i = 0; i < columns.length; i++) {
      fields[i] = copyField(b, source.fields(columns[i]));
    }
    int fieldsVector = Schema.createFieldsVector(b, fields);
    int metadata = copyMetadata(b, source.customMetadataLength(), source::customMetadata);
    long[] featureValues = new long[source.featuresLength()];
    for (int i = 0; i < featureValues.length; i++) {
      featureValues[i] = source.features(i);
    }
    int features = featureValues.length == 0 ? 0 : Schema.createFeaturesVector(b, featureValues);
    Schema.startSchema(b);
    Schema.addEndianness(b, source.endianness());
    Schema.addFields(b, fieldsVector);
    if (metadata != 0) {
      Schema.addCustomMetadata(b, metadata);
    }
    if (features != 0) {
      Schema.addFeatures(b, features);
    }
    return Schema.endSchema(b);
  }

  /** Indexed access to a table's custom metadata, e.g. {@code field::customMetadata}. */
  interface KeyValues {
    KeyValue get(int index);
  }

  /**
   * Copies {@code count} key-value pairs into {@code b} and returns the vector's offset (0 if none).
   * Keys and values are copied as bytes: metadata is opaque here and need not even be valid UTF-8.
   */
  static int copyMetadata(FlatBufferBuilder b, int count, KeyValues source) {
    if (count == 0) {
      return 0;
    }
    int[] pairs = new int[count];
    for (int i = 0; i < count; i++) {
      KeyValue kv = source.get(i);
      int key = kv.key() == null ? 0 : b.createString(kv.keyAsByteBuffer());
      int value = kv.value() == null ? 0 : b.createString(kv.valueAsByteBuffer());
      KeyValue.startKeyValue(b);
      if (key != 0) {
        KeyValue.addKey(b, key);
      }
      if (value != 0) {
        KeyValue.addValue(b, value);
      }
      pairs[i] = KeyValue.endKeyValue(b);
    }
    return b.createVectorOfTables(pairs);
  }

  private static int copyField(FlatBufferBuilder b, Field f) {
    int name = f.name() == null ? 0 : b.createString(f.nameAsByteBuffer());
    int type = copyType(b, f);
    int dictionary = 0;
    DictionaryEncoding encoding = f.dictionary();
    if (encoding != null) {
      Int index = encoding.indexType();
      int indexType = index == null ? 0 : Int.createInt(b, index.bitWidth(), index.isSigned());
      dictionary = DictionaryEncoding.createDictionaryEncoding(
          b, encoding.id(), indexType, encoding.isOrdered(), encoding.dictionaryKind());
    }
    int[] children = new int[f.childrenLength()];
    for (int c = 0; c < children.length; c++) {
      children[c] = copyField(b, f.children(c));
    }
    int childrenVector = Field.createChildrenVector(b, children);
    int metadata = copyMetadata(b, f.customMetadataLength(), f::customMetadata);
    Field.startField(b);
    if (name != 0) {
      Field.addName(b, name);
    }
    Field.addNullable(b, f.nullable());
    Field.addTypeType(b, f.typeType());
    if (type != 0) {
      Field.addType(b, type);
    }
    if (dictionary != 0) {
      Field.addDictionary(b, dictionary);
    }
    Field.addChildren(b, childrenVector);
    if (metadata != 0) {
      Field.addCustomMetadata(b, metadata);
    }
    return Field.endField(b);
  }

  /** Copies the type table of {@code f}; types without parameters are empty tables. */
  private static int copyType(FlatBufferBuilder b, Field f) {
    switch (f.typeType()) {
      case Type.Int -> {
        Int t = (Int) f.type(new Int());
        return Int.createInt(b, t.bitWidth(), t.isSigned());
      }
      case Type.FloatingPoint -> {
        return FloatingPoint.createFloatingPoint(b, ((FloatingPoint) f.type(new FloatingPoint())).precision());
      }
      case Type.Decimal -> {
        Decimal t = (Decimal) f.type(new Decimal());
        return Decimal.createDecimal(b, t.precision(), t.scale(), t.bitWidth());
      }
      case Type.Date -> {
        return Date.createDate(b, ((Date) f.type(new Date())).unit());
      }
      case Type.Time -> {
        Time t = (Time) f.type(new Time());
        return Time.createTime(b, t.unit(), t.bitWidth());
      }
      case Type.Timestamp -> {
        Timestamp t = (Timestamp) f.type(new Timestamp());
        int zone = t.timezone() == null ? 0 : b.createString(t.timezoneAsByteBuffer());
        return Timestamp.createTimestamp(b, t.unit(), zone);
      }
      case Type.Interval -> {
        return Interval.createInterval(b, ((Interval) f.type(new Interval())).unit());
      }
      case Type.Duration -> {
        return Duration.createDuration(b, ((Duration) f.type(new Duration())).unit());
      }
      case Type.FixedSizeBinary -> {
        return FixedSizeBinary.createFixedSizeBinary(b, ((FixedSizeBinary) f.type(new FixedSizeBinary())).byteWidth());
      }
      case Type.FixedSizeList -> {
        return FixedSizeList.createFixedSizeList(b, ((FixedSizeList) f.type(new FixedSizeList())).listSize());
      }
      case Type.Map -> {
        return Map.createMap(b, ((Map) f.type(new Map())).keysSorted());
      }
      case Type.Union -> {
        Union t = (Union) f.type(new Union());
        int[] ids = new int[t.typeIdsLength()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = t.typeIds(i);
        }
        int idsVector = ids.length == 0 ? 0 : Union.createTypeIdsVector(b, ids);
        return Union.createUnion(b, t.mode(), idsVector);
      }
      default -> {
        // Null, Struct_, List, LargeList, ListView, LargeListView, Binary, Utf8, LargeBinary,
        // LargeUtf8, BinaryView, Utf8View, Bool, RunEndEncoded: tables without fields.
        b.startTable(0);
        return b.endTable();
      }
    }
  }
}
