package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.ProtocolException;
import dev.quiver.server.ipc.ArrowFiles.Codec;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProjectionTest extends LeakCheckedTest {
  private static final List<List<String>> PROJECTIONS = List.of(
      List.of("category", "point", "id"),
      List.of("tags"),
      List.of("point"),
      List.of("category"),
      List.of("score", "name"),
      List.of("name", "tags", "category"),
      List.of("category", "tags", "point", "score", "name", "id"),
      List.of("id", "name", "score", "tags", "point", "category"),
      List.of());

  static Stream<Arguments> cases() {
    List<Spec> specs = List.of(
        Spec.file(3, 11),
        Spec.stream(3, 11),
        Spec.file(3, 13).compressed(Codec.LZ4_FRAME),
        Spec.file(2, 21).compressed(Codec.ZSTD),
        Spec.stream(3, 7).compressed(Codec.ZSTD).withoutEndOfStream(),
        Spec.stream(4, 6).replacingDictionary(),
        Spec.file(2, 0),
        Spec.stream(2, 0).compressed(Codec.ZSTD),
        Spec.file(1, 1));
    List<Arguments> cases = new ArrayList<>();
    for (Spec spec : specs) {
      for (List<String> columns : PROJECTIONS) {
        cases.add(Arguments.of(spec, columns));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void projectedBatchesDecodeToTheChosenColumns(Spec spec, List<String> columns) throws IOException {
    Path file = ArrowFiles.write(allocator, dir.resolve("data"), spec);
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      Projection projection = Projection.of(index, columns);

      assertThat(projection.schema().fieldNames()).containsExactlyElementsOf(columns);
      Schema projectedSchema = projection.schema().toArrow();
      Schema full = index.schema().toArrow();
      assertThat(projectedSchema.getFields()).extracting(Field::getName).containsExactlyElementsOf(columns);
      for (Field field : projectedSchema.getFields()) {
        assertThat(field).isEqualTo(full.findField(field.getName()));
      }
      assertThat(projectedSchema.getCustomMetadata()).isEqualTo(full.getCustomMetadata());
      assertThat(projection.schemaHeader()).isEqualTo(projection.schema().messageHeader());
      assertThat(projection.dictionaryIds())
          .isEqualTo(columns.contains("category") ? Set.of(ArrowFiles.DICTIONARY_ID) : Set.of());

      for (int b = 0; b < index.batchCount(); b++) {
        IpcMessage batch = index.batch(b);
        Projection.ProjectedBatch projected = projection.project(batch, "batch " + b);
        checkLayout(batch, projected, spec.rows());
      }

      ArrowFiles.Table served = ArrowFiles.read(allocator,
          ArrowFiles.reassemble(mapped, index, projection, 0, index.batchCount()));
      assertThat(served.columns()).isEqualTo(columns);
      assertThat(served.batches()).isEqualTo(ArrowFiles.select(ArrowFiles.expected(spec), columns));

      // a sub-range on its own, with the dictionary state it needs replayed first
      if (index.batchCount() > 1) {
        int start = index.batchCount() - 1;
        ArrowFiles.Table tail = ArrowFiles.read(allocator,
            ArrowFiles.reassemble(mapped, index, projection, start, index.batchCount()));
        assertThat(tail.batches())
            .isEqualTo(ArrowFiles.select(ArrowFiles.expected(spec), columns).subList(start, index.batchCount()));
      }
    } finally {
      mapped.release();
    }
  }

  /** The projected header's buffers are aligned and inside the body; the pieces tile the body and come from the batch. */
  private static void checkLayout(IpcMessage batch, Projection.ProjectedBatch projected, int rows) {
    Message message = Message.getRootAsMessage(ByteBuffer.wrap(projected.header()).order(ByteOrder.LITTLE_ENDIAN));
    assertThat(message.headerType()).isEqualTo(MessageHeader.RecordBatch);
    assertThat(message.bodyLength()).isEqualTo(projected.bodyLength());
    assertThat(projected.bodyLength() % 8).isZero();
    RecordBatch rb = (RecordBatch) message.header(new RecordBatch());
    assertThat(rb.length()).isEqualTo(rows);

    Message original = Message.getRootAsMessage(ByteBuffer.wrap(batch.header()).order(ByteOrder.LITTLE_ENDIAN));
    assertThat(message.version()).isEqualTo(original.version());
    RecordBatch originalBatch = (RecordBatch) original.header(new RecordBatch());
    assertThat(rb.compression() == null).isEqualTo(originalBatch.compression() == null);
    if (rb.compression() != null) {
      assertThat(rb.compression().codec()).isEqualTo(originalBatch.compression().codec());
    }

    Buffer buffer = new Buffer();
    for (int i = 0; i < rb.buffersLength(); i++) {
      rb.buffers(buffer, i);
      assertThat(buffer.offset()).as("buffer %d offset", i).isNotNegative();
      assertThat(buffer.offset() + buffer.length()).as("buffer %d end", i).isLessThanOrEqualTo(projected.bodyLength());
      if (buffer.length() > 0) {
        assertThat(buffer.offset() % 8).as("buffer %d offset %d is 8-byte aligned", i, buffer.offset()).isZero();
      }
    }
    FieldNode node = new FieldNode();
    for (int i = 0; i < rb.nodesLength(); i++) {
      rb.nodes(node, i);
      assertThat(node.length()).isNotNegative();
      assertThat(node.nullCount()).isBetween(0L, node.length());
    }

    long total = 0;
    for (BodyPiece piece : projected.body()) {
      assertThat(piece.length()).isPositive();
      if (!piece.isZeros()) {
        assertThat(piece.fileOffset()).isGreaterThanOrEqualTo(batch.bodyOffset());
        assertThat(piece.fileOffset() + piece.length()).isLessThanOrEqualTo(batch.bodyOffset() + batch.bodyLength());
      }
      total += piece.length();
    }
    assertThat(total).isEqualTo(projected.bodyLength());
  }

  @Test
  void projectedBodyNeverExceedsTheOriginalByMoreThanPadding() throws IOException {
    Spec spec = Spec.file(2, 50);
    Path file = ArrowFiles.write(allocator, dir.resolve("data"), spec);
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      Projection all = Projection.of(index, ArrowFiles.COLUMNS);
      Projection one = Projection.of(index, List.of("id"));
      for (int b = 0; b < index.batchCount(); b++) {
        IpcMessage batch = index.batch(b);
        assertThat(all.project(batch, "b").bodyLength()).isLessThanOrEqualTo(batch.bodyLength() + 8L * 6);
        // int64 column of 50 rows: validity (8 bytes padded) + 400 bytes of values
        assertThat(one.project(batch, "b").bodyLength()).isEqualTo(8 + 400);
      }
    } finally {
      mapped.release();
    }
  }

  @Test
  void projectionAcrossManyTypes() throws IOException {
    // Every layout ColumnLayout knows, written by arrow-java; a projection must decode like the same
    // columns read unprojected.
    Schema schema = new Schema(List.of(
        Field.nullable("i8", new ArrowType.Int(8, true)),
        Field.nullable("bool", ArrowType.Bool.INSTANCE),
        Field.nullable("dec", new ArrowType.Decimal(20, 3, 128)),
        Field.nullable("day", new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.DAY)),
        Field.nullable("ts", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MILLISECOND, null)),
        Field.nullable("fsb", new ArrowType.FixedSizeBinary(3)),
        Field.nullable("bin", ArrowType.Binary.INSTANCE),
        Field.nullable("lstr", ArrowType.LargeUtf8.INSTANCE),
        Field.nullable("nothing", ArrowType.Null.INSTANCE),
        Field.nullable("dur", new ArrowType.Duration(org.apache.arrow.vector.types.TimeUnit.SECOND)),
        new Field("fsl", org.apache.arrow.vector.types.pojo.FieldType.nullable(new ArrowType.FixedSizeList(2)),
            List.of(Field.nullable("item", new ArrowType.Int(32, true)))),
        new Field("llist", org.apache.arrow.vector.types.pojo.FieldType.nullable(ArrowType.LargeList.INSTANCE),
            List.of(Field.nullable("item", new ArrowType.Int(16, true)))),
        new Field("map", org.apache.arrow.vector.types.pojo.FieldType.nullable(new ArrowType.Map(false)),
            List.of(new Field("entries", org.apache.arrow.vector.types.pojo.FieldType.notNullable(ArrowType.Struct.INSTANCE),
                List.of(Field.notNullable("key", ArrowType.Utf8.INSTANCE),
                    Field.nullable("value", new ArrowType.Int(64, true)))))),
        Field.nullable("tail", new ArrowType.Int(32, true))));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rows = 7;
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
      writer.start();
      for (int b = 0; b < 3; b++) {
        root.allocateNew();
        for (int i = 0; i < rows; i++) {
          int n = b * rows + i;
          if (n % 4 == 3) {
            continue; // a row of nulls (the Null column is null everywhere anyway)
          }
          ((org.apache.arrow.vector.TinyIntVector) root.getVector("i8")).setSafe(i, (byte) n);
          ((org.apache.arrow.vector.BitVector) root.getVector("bool")).setSafe(i, n % 2);
          ((org.apache.arrow.vector.DecimalVector) root.getVector("dec")).setSafe(i,
              java.math.BigDecimal.valueOf(n * 1001L, 3));
          ((org.apache.arrow.vector.DateDayVector) root.getVector("day")).setSafe(i, 19000 + n);
          ((org.apache.arrow.vector.TimeStampMilliVector) root.getVector("ts")).setSafe(i, 1_700_000_000_000L + n);
          ((org.apache.arrow.vector.FixedSizeBinaryVector) root.getVector("fsb")).setSafe(i,
              new byte[] {(byte) n, 1, 2});
          ((org.apache.arrow.vector.VarBinaryVector) root.getVector("bin")).setSafe(i, new byte[n % 5]);
          ((org.apache.arrow.vector.LargeVarCharVector) root.getVector("lstr")).setSafe(i,
              ("large-" + n).getBytes(StandardCharsets.UTF_8));
          ((org.apache.arrow.vector.DurationVector) root.getVector("dur")).setSafe(i, n * 60L);
          var fsl = (org.apache.arrow.vector.complex.FixedSizeListVector) root.getVector("fsl");
          fsl.setNotNull(i);
          ((IntVector) fsl.getDataVector()).setSafe(2 * i, n);
          ((IntVector) fsl.getDataVector()).setSafe(2 * i + 1, -n);
          var llist = ((org.apache.arrow.vector.complex.LargeListVector) root.getVector("llist")).getWriter();
          llist.setPosition(i);
          llist.startList();
          for (int t = 0; t < n % 3; t++) {
            llist.smallInt().writeSmallInt((short) (n + t));
          }
          llist.endList();
          var map = ((org.apache.arrow.vector.complex.MapVector) root.getVector("map")).getWriter();
          map.setPosition(i);
          map.startMap();
          for (int t = 0; t < n % 3; t++) {
            map.startEntry();
            map.key().varChar().writeVarChar("k" + t);
            map.value().bigInt().writeBigInt(n * 100L + t);
            map.endEntry();
          }
          map.endMap();
          ((IntVector) root.getVector("tail")).setSafe(i, n);
        }
        root.setRowCount(rows);
        writer.writeBatch();
      }
      writer.end();
    }
    Path file = Files.write(dir.resolve("types.arrow"), out.toByteArray());
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      ArrowFiles.Table all = ArrowFiles.read(allocator, ArrowFiles.reassemble(mapped, index, 0, index.batchCount()));
      assertThat(all.batches()).hasSize(3);
      List<String> names = schema.getFields().stream().map(Field::getName).toList();
      List<List<String>> projections = List.of(
          List.of("tail", "map", "fsl", "nothing", "i8"),
          List.of("llist", "lstr", "bin", "fsb"),
          List.of("nothing"),
          List.of("map"),
          List.of("dur", "ts", "day", "dec", "bool"),
          names.reversed());
      for (List<String> columns : projections) {
        Projection projection = Projection.of(index, columns);
        for (int b = 0; b < index.batchCount(); b++) {
          checkLayout(index.batch(b), projection.project(index.batch(b), "batch " + b), rows);
        }
        ArrowFiles.Table projected = ArrowFiles.read(allocator,
            ArrowFiles.reassemble(mapped, index, projection, 0, index.batchCount()));
        assertThat(projected.columns()).isEqualTo(columns);
        for (int b = 0; b < 3; b++) {
          for (int i = 0; i < rows; i++) {
            for (int c = 0; c < columns.size(); c++) {
              assertThat(projected.batches().get(b).get(i).get(c))
                  .as("%s: batch %d row %d column %s", columns, b, i, columns.get(c))
                  .isEqualTo(all.batches().get(b).get(i).get(names.indexOf(columns.get(c))));
            }
          }
        }
      }
      // spot-check that the unprojected read is the data written
      assertThat(all.batches().get(0).get(1).get(names.indexOf("lstr"))).isEqualTo("large-1");
      assertThat(all.batches().get(1).get(1).get(names.indexOf("fsl"))).isEqualTo(List.of(8, -8));
      assertThat(all.batches().get(0).get(3).get(names.indexOf("tail"))).isNull();
    } finally {
      mapped.release();
    }
  }

  @Test
  void unknownColumnIsNamed() throws IOException {
    Path file = ArrowFiles.write(allocator, dir.resolve("data"), Spec.file(1, 3));
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      assertThatThrownBy(() -> Projection.of(index, List.of("id", "nope")))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("unknown column 'nope'")
          .hasMessageContaining("[id, name, score, tags, point, category]");
      // nested children are not top-level columns
      assertThatThrownBy(() -> Projection.of(index, List.of("x")))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("unknown column 'x'");
    } finally {
      mapped.release();
    }
  }

  @Test
  void ambiguousColumnIsRejected() throws IOException {
    Schema schema = new Schema(List.of(
        Field.nullable("a", new ArrowType.Int(32, true)),
        Field.nullable("b", new ArrowType.Int(32, true)),
        Field.nullable("a", ArrowType.Utf8.INSTANCE)));
    Path file = dir.resolve("dup.arrow");
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         var channel = Files.newByteChannel(file, java.nio.file.StandardOpenOption.CREATE_NEW,
             java.nio.file.StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      root.allocateNew();
      ((IntVector) root.getFieldVectors().get(0)).setSafe(0, 1);
      ((IntVector) root.getFieldVectors().get(1)).setSafe(0, 2);
      ((VarCharVector) root.getFieldVectors().get(2)).setSafe(0, "three".getBytes(StandardCharsets.UTF_8));
      root.setRowCount(1);
      writer.start();
      writer.writeBatch();
      writer.end();
    }
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      assertThatThrownBy(() -> Projection.of(index, List.of("a")))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("'a' is ambiguous");
      Projection b = Projection.of(index, List.of("b"));
      ArrowFiles.Table table = ArrowFiles.read(allocator, ArrowFiles.reassemble(mapped, index, b, 0, 1));
      assertThat(table.batches()).isEqualTo(List.of(List.of(List.of(2))));
    } finally {
      mapped.release();
    }
  }

  @Test
  void batchOfAnotherSchemaIsRefused() throws IOException {
    Path mixed = ArrowFiles.write(allocator, dir.resolve("mixed"), Spec.file(1, 3));
    Schema other = new Schema(List.of(Field.nullable("only", new ArrowType.Int(32, true))));
    Path single = dir.resolve("single");
    try (VectorSchemaRoot root = VectorSchemaRoot.create(other, allocator);
         var channel = Files.newByteChannel(single, java.nio.file.StandardOpenOption.CREATE_NEW,
             java.nio.file.StandardOpenOption.WRITE);
         ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
      root.allocateNew();
      root.setRowCount(2);
      writer.start();
      writer.writeBatch();
      writer.end();
    }
    MappedFile a = MappedFile.map(mixed);
    MappedFile b = MappedFile.map(single);
    try {
      IpcIndex mixedIndex = IpcIndexer.index(a);
      IpcIndex singleIndex = IpcIndexer.index(b);
      Projection projection = Projection.of(mixedIndex, List.of("id"));
      assertThatThrownBy(() -> projection.project(singleIndex.batch(0), "batch 0 of single"))
          .isInstanceOf(IpcFormatException.class)
          .hasMessageContaining("batch 0 of single")
          .hasMessageContaining("field nodes");
    } finally {
      a.release();
      b.release();
    }
  }

  @Test
  void projectionOfAViewColumn() throws IOException {
    // Utf8View: strings longer than 12 bytes live in variadic data buffers, whose number is per batch.
    Schema schema = new Schema(List.of(
        Field.nullable("id", new ArrowType.Int(32, true)),
        Field.nullable("text", ArrowType.Utf8View.INSTANCE),
        Field.nullable("tail", new ArrowType.Int(32, true))));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<List<List<Object>>> expected = new ArrayList<>();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
         ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
      writer.start();
      for (int b = 0; b < 2; b++) {
        root.allocateNew();
        IntVector id = (IntVector) root.getVector("id");
        ViewVarCharVector text = (ViewVarCharVector) root.getVector("text");
        IntVector tail = (IntVector) root.getVector("tail");
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          int n = b * 5 + i;
          String s = i % 2 == 0 ? "short" + n : "a string well over twelve bytes long #" + n;
          id.setSafe(i, n);
          text.setSafe(i, s.getBytes(StandardCharsets.UTF_8));
          tail.setSafe(i, -n);
          rows.add(List.of(s, -n));
        }
        root.setRowCount(5);
        writer.writeBatch();
        expected.add(rows);
      }
      writer.end();
    }
    Path file = Files.write(dir.resolve("views.arrows"), out.toByteArray());
    MappedFile mapped = MappedFile.map(file);
    try {
      IpcIndex index = IpcIndexer.index(mapped);
      assertThat(index.batchCount()).isEqualTo(2);
      // the file itself is fine: served unprojected, arrow-java reads it back
      List<List<List<Object>>> all = new ArrayList<>();
      for (int b = 0; b < 2; b++) {
        List<List<Object>> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          int n = b * 5 + i;
          rows.add(List.of(n, expected.get(b).get(i).get(0), -n));
        }
        all.add(rows);
      }
      assertThat(ArrowFiles.read(allocator, ArrowFiles.reassemble(mapped, index, 0, 2)).batches()).isEqualTo(all);

      Projection projection = Projection.of(index, List.of("text", "tail"));
      ArrowFiles.Table table = ArrowFiles.read(allocator, ArrowFiles.reassemble(mapped, index, projection, 0, 2));
      assertThat(table.columns()).containsExactly("text", "tail");
      assertThat(table.batches()).isEqualTo(expected);
    } finally {
      mapped.release();
    }
  }
}
