package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.vector.TypeLayout;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.IntervalUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.UnionMode;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * {@link ColumnLayout#of} on the flatbuffer schemas arrow-java writes: field nodes, fixed buffers
 * and view fields (variadic buffer counts) per top-level column, depth-first and cumulative.
 */
class ColumnLayoutTest {

  private static Field leaf(String name, ArrowType type) {
    return Field.nullable(name, type);
  }

  private static Field nested(String name, ArrowType type, Field... children) {
    return new Field(name, FieldType.nullable(type), List.of(children));
  }

  /** Layouts of {@code fields} as batches of metadata {@code version} lay them out. */
  private static ColumnLayout[] layouts(short version, Field... fields) throws IpcFormatException {
    return ColumnLayout.of(ArrowFiles.flatbufferSchema(new Schema(List.of(fields))), version);
  }

  /** The layout of a schema whose only column is a childless field of {@code type}. */
  private static ColumnLayout single(short version, ArrowType type) throws IpcFormatException {
    ColumnLayout[] layouts = layouts(version, leaf("c", type));
    assertThat(layouts).as(type.toString()).hasSize(1);
    return layouts[0];
  }

  @Test
  void fixedBufferCountsMatchArrowJavasTypeLayout() throws IpcFormatException {
    List<ArrowType> types = List.of(
        new ArrowType.Int(8, true), new ArrowType.Int(64, false),
        new ArrowType.FloatingPoint(FloatingPointPrecision.HALF),
        new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE),
        ArrowType.Bool.INSTANCE, new ArrowType.Decimal(38, 10, 128), new ArrowType.Decimal(76, 10, 256),
        new ArrowType.Date(DateUnit.DAY), new ArrowType.Date(DateUnit.MILLISECOND),
        new ArrowType.Time(TimeUnit.SECOND, 32), new ArrowType.Time(TimeUnit.NANOSECOND, 64),
        new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"), new ArrowType.Timestamp(TimeUnit.SECOND, null),
        new ArrowType.Interval(IntervalUnit.YEAR_MONTH), new ArrowType.Interval(IntervalUnit.DAY_TIME),
        new ArrowType.Interval(IntervalUnit.MONTH_DAY_NANO), new ArrowType.Duration(TimeUnit.MILLISECOND),
        new ArrowType.FixedSizeBinary(16), ArrowType.Utf8.INSTANCE, ArrowType.LargeUtf8.INSTANCE,
        ArrowType.Binary.INSTANCE, ArrowType.LargeBinary.INSTANCE, ArrowType.List.INSTANCE,
        ArrowType.LargeList.INSTANCE, new ArrowType.FixedSizeList(3), ArrowType.Struct.INSTANCE,
        new ArrowType.Map(false), ArrowType.Null.INSTANCE,
        new ArrowType.Union(UnionMode.Sparse, new int[] {0}), new ArrowType.Union(UnionMode.Dense, new int[] {0}),
        ArrowType.ListView.INSTANCE);
    for (ArrowType type : types) {
      assertThat(single(MetadataVersion.V5, type))
          .as(type.toString())
          .isEqualTo(new ColumnLayout(0, 1, TypeLayout.getTypeBufferCount(type), 0, 0));
    }
  }

  @Test
  void viewTypesHaveTwoFixedBuffersAndOneVariadicCount() throws IpcFormatException {
    // the data buffers of a view array are variadic: their number is in each batch's header
    assertThat(single(MetadataVersion.V5, ArrowType.Utf8View.INSTANCE)).isEqualTo(new ColumnLayout(0, 1, 2, 0, 1));
    assertThat(single(MetadataVersion.V5, ArrowType.BinaryView.INSTANCE)).isEqualTo(new ColumnLayout(0, 1, 2, 0, 1));
    assertThat(single(MetadataVersion.V5, ArrowType.RunEndEncoded.INSTANCE)).isEqualTo(new ColumnLayout(0, 1, 0, 0, 0));
    assertThat(single(MetadataVersion.V5, ArrowType.LargeListView.INSTANCE)).isEqualTo(new ColumnLayout(0, 1, 3, 0, 0));
  }

  @Test
  void runEndEncodedCountsOnlyItsChildrensBuffers() throws IpcFormatException {
    ColumnLayout[] layouts = layouts(MetadataVersion.V5,
        nested("ree", ArrowType.RunEndEncoded.INSTANCE,
            Field.notNullable("run_ends", new ArrowType.Int(32, true)),
            leaf("values", ArrowType.Utf8.INSTANCE)),
        leaf("after", new ArrowType.Int(32, true)));
    assertThat(layouts).containsExactly(
        new ColumnLayout(0, 3, 0 + 2 + 3, 0, 0),
        new ColumnLayout(3, 1, 2, 0, 0));
  }

  @Test
  void layoutsRunDepthFirstAndCumulatively() throws IpcFormatException {
    DictionaryEncoding encoding = new DictionaryEncoding(1, false, new ArrowType.Int(16, true));
    ColumnLayout[] layouts = layouts(MetadataVersion.V5,
        leaf("i", new ArrowType.Int(32, true)),                                     // 1 node, 2 buffers
        leaf("s", ArrowType.Utf8.INSTANCE),                                          // 1 node, 3 buffers
        nested("l", ArrowType.List.INSTANCE, leaf("item", ArrowType.Utf8.INSTANCE)), // 2 nodes, 2 + 3
        nested("st", ArrowType.Struct.INSTANCE,                                      // 4 nodes, 1 + 2 + (1 + 2)
            leaf("a", ArrowType.Bool.INSTANCE),
            nested("inner", new ArrowType.FixedSizeList(2),
                leaf("v", new ArrowType.Int(8, true)))),
        // a dictionary-encoded list carries only its indices in the record batch
        new Field("d", new FieldType(true, ArrowType.List.INSTANCE, encoding),
            List.of(leaf("item", ArrowType.Utf8.INSTANCE))),                         // 1 node, 2 buffers
        leaf("v", ArrowType.Utf8View.INSTANCE),                                      // 1 node, 2 buffers, 1 variadic
        leaf("n", ArrowType.Null.INSTANCE),                                          // 1 node, 0 buffers
        nested("m", new ArrowType.Map(false),                                        // 4 nodes: map, entries, key, value
            new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
                Field.notNullable("key", ArrowType.Utf8.INSTANCE),
                leaf("value", new ArrowType.Int(64, true))))),
        nested("views", ArrowType.Struct.INSTANCE,                                   // 3 nodes, 1 + 2 + 2, 2 variadics
            leaf("bv", ArrowType.BinaryView.INSTANCE),
            leaf("uv", ArrowType.Utf8View.INSTANCE)),
        leaf("tail", new ArrowType.Int(64, true)));                                  // 1 node, 2 buffers
    assertThat(layouts).containsExactly(
        new ColumnLayout(0, 1, 2, 0, 0),
        new ColumnLayout(1, 1, 3, 0, 0),
        new ColumnLayout(2, 2, 5, 0, 0),
        new ColumnLayout(4, 4, 6, 0, 0),
        new ColumnLayout(8, 1, 2, 0, 0),
        new ColumnLayout(9, 1, 2, 0, 1),
        new ColumnLayout(10, 1, 0, 1, 0),
        new ColumnLayout(11, 4, 2 + 1 + 3 + 2, 1, 0),
        new ColumnLayout(15, 3, 1 + 2 + 2, 1, 2),
        new ColumnLayout(18, 1, 2, 3, 0));
  }

  @Test
  void dictionaryEncodedColumnIsItsIndicesOnly() throws IpcFormatException {
    DictionaryEncoding encoding = new DictionaryEncoding(7, false, new ArrowType.Int(32, true));
    ColumnLayout[] layouts = layouts(MetadataVersion.V5,
        new Field("d", new FieldType(true, ArrowType.Struct.INSTANCE, encoding), List.of(
            leaf("a", ArrowType.Utf8View.INSTANCE),
            nested("b", ArrowType.List.INSTANCE, leaf("item", ArrowType.Utf8.INSTANCE)))),
        leaf("after", ArrowType.Utf8View.INSTANCE));
    // neither the dictionary's children nor their view fields belong to the record batch
    assertThat(layouts).containsExactly(
        new ColumnLayout(0, 1, 2, 0, 0),
        new ColumnLayout(1, 1, 2, 0, 1));
  }

  @Test
  void metadataV4RunEndEncodedArraysCarryAValidityBuffer() throws IpcFormatException {
    // before V5 every type but Null had a validity buffer (as Arrow C++ still reads V4 batches)
    Field[] fields = {
        nested("ree", ArrowType.RunEndEncoded.INSTANCE,
            Field.notNullable("run_ends", new ArrowType.Int(32, true)),
            leaf("values", ArrowType.Utf8.INSTANCE)),
        leaf("n", ArrowType.Null.INSTANCE)};
    assertThat(layouts(MetadataVersion.V5, fields)).containsExactly(
        new ColumnLayout(0, 3, 0 + 2 + 3, 0, 0),
        new ColumnLayout(3, 1, 0, 0, 0));
    assertThat(layouts(MetadataVersion.V4, fields)).containsExactly(
        new ColumnLayout(0, 3, 1 + 2 + 3, 0, 0),
        new ColumnLayout(3, 1, 0, 0, 0));
  }

  @Test
  void metadataV4UnionsCarryAValidityBuffer() throws IpcFormatException {
    Field[] fields = {
        leaf("i", new ArrowType.Int(32, true)),
        nested("sparse", new ArrowType.Union(UnionMode.Sparse, new int[] {0, 1}),
            leaf("a", new ArrowType.Int(32, true)), leaf("b", ArrowType.Utf8.INSTANCE)),
        nested("dense", new ArrowType.Union(UnionMode.Dense, new int[] {0, 1}),
            leaf("a", new ArrowType.Int(32, true)), leaf("b", ArrowType.Utf8View.INSTANCE)),
        nested("nested", ArrowType.Struct.INSTANCE,
            nested("u", new ArrowType.Union(UnionMode.Sparse, new int[] {0}), leaf("x", ArrowType.Bool.INSTANCE))),
        leaf("tail", ArrowType.Utf8.INSTANCE)};
    assertThat(layouts(MetadataVersion.V5, fields)).containsExactly(
        new ColumnLayout(0, 1, 2, 0, 0),
        new ColumnLayout(1, 3, 1 + 2 + 3, 0, 0),
        new ColumnLayout(4, 3, 2 + 2 + 2, 0, 1),
        new ColumnLayout(7, 3, 1 + 1 + 2, 1, 0),
        new ColumnLayout(10, 1, 3, 1, 0));
    assertThat(layouts(MetadataVersion.V4, fields)).containsExactly(
        new ColumnLayout(0, 1, 2, 0, 0),
        new ColumnLayout(1, 3, 2 + 2 + 3, 0, 0),
        new ColumnLayout(4, 3, 3 + 2 + 2, 0, 1),
        new ColumnLayout(7, 3, 1 + 2 + 2, 1, 0),
        new ColumnLayout(10, 1, 3, 1, 0));
  }

  @Test
  void ipcSchemaHoldsTheLayoutsOfBothMetadataVersions() throws IpcFormatException {
    Schema schema = new Schema(List.of(
        leaf("i", new ArrowType.Int(32, true)),
        nested("u", new ArrowType.Union(UnionMode.Dense, new int[] {0}), leaf("a", ArrowType.Utf8View.INSTANCE))));
    IpcSchema ipcSchema = ArrowFiles.ipcSchema(schema);
    org.apache.arrow.flatbuf.Schema flatbuffer = ArrowFiles.flatbufferSchema(schema);
    assertThat(ipcSchema.layouts(MetadataVersion.V5)).containsExactly(ColumnLayout.of(flatbuffer, MetadataVersion.V5));
    assertThat(ipcSchema.layouts(MetadataVersion.V4)).containsExactly(ColumnLayout.of(flatbuffer, MetadataVersion.V4));
    assertThat(ipcSchema.layouts(MetadataVersion.V4)[1].fixedBuffers())
        .isEqualTo(ipcSchema.layouts(MetadataVersion.V5)[1].fixedBuffers() + 1);
  }

  @Test
  void emptySchemaHasNoLayouts() throws IpcFormatException {
    assertThat(layouts(MetadataVersion.V5)).isEmpty();
    assertThat(layouts(MetadataVersion.V4)).isEmpty();
    assertThat(ArrowFiles.ipcSchema(new Schema(List.of())).layouts(MetadataVersion.V5)).isEmpty();
  }

  @Test
  void absurdlyDeepNestingIsRefused() {
    Field field = leaf("leaf", new ArrowType.Int(32, true));
    for (int depth = 0; depth < 100; depth++) {
      field = nested("s" + depth, ArrowType.Struct.INSTANCE, field);
    }
    Field deep = field;
    assertThatThrownBy(() -> layouts(MetadataVersion.V5, deep))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("levels deep");
  }

  @Test
  void unknownTypeIsRefused() {
    // A Field whose type tag no Arrow version defines.
    FlatBufferBuilder b = new FlatBufferBuilder();
    int name = b.createString("mystery");
    int children = org.apache.arrow.flatbuf.Field.createChildrenVector(b, new int[0]);
    org.apache.arrow.flatbuf.Field.startField(b);
    org.apache.arrow.flatbuf.Field.addName(b, name);
    org.apache.arrow.flatbuf.Field.addNullable(b, true);
    org.apache.arrow.flatbuf.Field.addTypeType(b, (byte) 99);
    org.apache.arrow.flatbuf.Field.addChildren(b, children);
    int field = org.apache.arrow.flatbuf.Field.endField(b);
    int fields = org.apache.arrow.flatbuf.Schema.createFieldsVector(b, new int[] {field});
    org.apache.arrow.flatbuf.Schema.startSchema(b);
    org.apache.arrow.flatbuf.Schema.addFields(b, fields);
    int schema = org.apache.arrow.flatbuf.Schema.endSchema(b);
    Message.startMessage(b);
    Message.addVersion(b, MetadataVersion.V5);
    Message.addHeaderType(b, MessageHeader.Schema);
    Message.addHeader(b, schema);
    Message.finishMessageBuffer(b, Message.endMessage(b));
    byte[] header = b.sizedByteArray();
    org.apache.arrow.flatbuf.Schema parsed = (org.apache.arrow.flatbuf.Schema) Message
        .getRootAsMessage(ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN))
        .header(new org.apache.arrow.flatbuf.Schema());
    assertThatThrownBy(() -> ColumnLayout.of(parsed, MetadataVersion.V5))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("mystery");
    assertThatThrownBy(() -> IpcSchema.fromMessage(header)).isInstanceOf(IpcFormatException.class);
  }
}
