package dev.quiver.server.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import com.google.flatbuffers.Table;
import dev.quiver.server.ipc.ArrowFiles.Spec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.BodyCompression;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Hand-crafted hostile inputs, each aimed at one check of the indexer or the projection. Every one
 * must end in an {@link IpcFormatException}; the randomised search in {@link IpcCorruptionTest}
 * covers the rest.
 */
class IpcHostileInputTest extends LeakCheckedTest {
  private static final Schema TWO_INTS = new Schema(List.of(
      Field.nullable("a", new ArrowType.Int(32, true)),
      Field.nullable("b", new ArrowType.Int(32, true))));

  /** Two int columns, {@code batches} batches of three rows, written by arrow-java. */
  private byte[] twoInts(boolean stream, int batches) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(TWO_INTS, allocator);
         ArrowWriter writer = stream
             ? new ArrowStreamWriter(root, null, Channels.newChannel(out))
             : new ArrowFileWriter(root, null, Channels.newChannel(out))) {
      writer.start();
      for (int b = 0; b < batches; b++) {
        root.allocateNew();
        for (int i = 0; i < 3; i++) {
          ((IntVector) root.getVector("a")).setSafe(i, b * 10 + i);
          ((IntVector) root.getVector("b")).setSafe(i, -(b * 10 + i));
        }
        root.setRowCount(3);
        writer.writeBatch();
      }
      writer.end();
    }
    return out.toByteArray();
  }

  private interface IndexUse {
    void accept(MappedFile file, IpcIndex index) throws Exception;
  }

  private IpcIndex index(byte[] bytes) throws IOException {
    return withIndex(bytes, (file, index) -> { });
  }

  private IpcIndex withIndex(byte[] bytes, IndexUse use) throws IOException {
    Path path = Files.write(dir.resolve("hostile-" + System.nanoTime()), bytes);
    MappedFile file = MappedFile.map(path);
    try {
      IpcIndex index = IpcIndexer.index(file);
      use.accept(file, index);
      return index;
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      file.release();
    }
  }

  private static byte[] le(long value) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
  }

  /** Position of a flatbuffer table inside its buffer (the generated accessors keep it protected). */
  private static int tablePosition(Table table) {
    try {
      java.lang.reflect.Field field = Table.class.getDeclaredField("bb_pos");
      field.setAccessible(true);
      return field.getInt(table);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  // ---- indexer ------------------------------------------------------------------------------------

  @Test
  void streamSchemaWithHugeBodyLength() throws IOException {
    for (long bodyLength : new long[] {1L << 40, Long.MAX_VALUE / 2, Long.MAX_VALUE - 4096, Long.MAX_VALUE}) {
      FlatBufferBuilder b = new FlatBufferBuilder();
      int schema = TWO_INTS.getSchema(b);
      Message.startMessage(b);
      Message.addVersion(b, MetadataVersion.V5);
      Message.addHeaderType(b, MessageHeader.Schema);
      Message.addHeader(b, schema);
      Message.addBodyLength(b, bodyLength);
      Message.finishMessageBuffer(b, Message.endMessage(b));
      byte[] bytes = new ArrowFiles.StreamBuilder().message(b.sizedByteArray(), new byte[0]).finish();
      assertThatThrownBy(() -> index(bytes))
          .as("schema message declaring a %d-byte body", bodyLength)
          .isInstanceOf(IpcFormatException.class)
          .satisfies(e -> assertThat(e.getMessage()).isNotBlank());
    }
  }

  @Test
  void fileFooterWhoseBlockVectorRunsPastTheFooter() throws IOException {
    byte[] valid = twoInts(false, 2);
    ByteBuffer v = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN);
    int footerLength = v.getInt(valid.length - 10);
    int footerStart = valid.length - 10 - footerLength;
    Footer original = Footer.getRootAsFooter(
        ByteBuffer.wrap(Arrays.copyOfRange(valid, footerStart, footerStart + footerLength)).order(ByteOrder.LITTLE_ENDIAN));
    Block first = original.recordBatches(new Block(), 0);

    // A footer whose record batch vector is written first, so that it ends the footer's bytes ...
    FlatBufferBuilder b = new FlatBufferBuilder();
    Footer.startRecordBatchesVector(b, 1);
    Block.createBlock(b, first.offset(), first.metaDataLength(), first.bodyLength());
    int blocks = b.endVector();
    int schema = TWO_INTS.getSchema(b);
    Footer.startFooter(b);
    Footer.addVersion(b, MetadataVersion.V5);
    Footer.addSchema(b, schema);
    Footer.addRecordBatches(b, blocks);
    b.finish(Footer.endFooter(b));
    byte[] footer = b.sizedByteArray();
    ByteBuffer f = ByteBuffer.wrap(footer).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(f.getInt(footer.length - 24 - 4)).as("vector length just before its only block").isEqualTo(1);
    // ... and that then claims one block more than it holds: block 1 lies after the footer's end.
    f.putInt(footer.length - 24 - 4, 2);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(valid, 0, footerStart);
    out.writeBytes(footer);
    out.writeBytes(ArrowFiles.le(footer.length));
    out.writeBytes("ARROW1".getBytes(StandardCharsets.US_ASCII));
    byte[] bytes = out.toByteArray();

    assertThatThrownBy(() -> index(bytes)).isInstanceOf(IpcFormatException.class);
  }

  @Test
  void fileFooterBlockPointingOutsideTheData() throws IOException {
    byte[] valid = twoInts(false, 1);
    int footerLength = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN).getInt(valid.length - 10);
    int footerStart = valid.length - 10 - footerLength;
    for (long[] block : new long[][] {
        {0, 200, 16}, {4, 200, 16}, {footerStart, 8, 0}, {8, Integer.MAX_VALUE, 0}, {8, 8, Long.MAX_VALUE},
        {8, -8, 16}, {-8, 16, 16}, {Long.MIN_VALUE, 8, 8}, {footerStart - 8, 8, 1}}) {
      FlatBufferBuilder b = new FlatBufferBuilder();
      int schema = TWO_INTS.getSchema(b);
      Footer.startRecordBatchesVector(b, 1);
      Block.createBlock(b, block[0], (int) block[1], block[2]);
      int blocks = b.endVector();
      Footer.startFooter(b);
      Footer.addVersion(b, MetadataVersion.V5);
      Footer.addSchema(b, schema);
      Footer.addRecordBatches(b, blocks);
      b.finish(Footer.endFooter(b));
      byte[] footer = b.sizedByteArray();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(valid, 0, footerStart);
      out.writeBytes(footer);
      out.writeBytes(ArrowFiles.le(footer.length));
      out.writeBytes("ARROW1".getBytes(StandardCharsets.US_ASCII));
      assertThatThrownBy(() -> index(out.toByteArray()))
          .as("block %s", Arrays.toString(block))
          .isInstanceOf(IpcFormatException.class)
          .hasMessageContaining("record batch block 0");
    }
  }

  @Test
  void dictionaryBatchWhoseIdFieldLiesOutsideTheHeader() throws IOException {
    byte[] bytes = ArrowFiles.bytes(allocator, Spec.stream(1, 3));
    IpcIndex index = index(bytes);
    IpcMessage dictionary = index.messages().get(0);
    assertThat(dictionary.isRecordBatch()).isFalse();
    byte[] header = dictionary.header().clone();
    ByteBuffer bb = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    DictionaryBatch batch = (DictionaryBatch) Message.getRootAsMessage(bb).header(new DictionaryBatch());
    int table = tablePosition(batch);
    int vtable = table - bb.getInt(table);
    assertThat(bb.getShort(vtable)).as("vtable has a slot for id").isGreaterThanOrEqualTo((short) 6);
    assertThat(bb.getShort(vtable + 4)).as("id is stored").isPositive();
    // The id field's vtable slot now points 32 KiB past the table, far beyond the header's end.
    bb.putShort(vtable + 4, (short) 0x7FF8);
    byte[] damaged = bytes.clone();
    System.arraycopy(header, 0, damaged, (int) dictionary.bodyOffset() - header.length, header.length);

    assertThatThrownBy(() -> index(damaged)).isInstanceOf(IpcFormatException.class);
  }

  @Test
  void messageClaimingAnOldMetadataVersionIsRefused() throws IOException {
    byte[] bytes = twoInts(true, 1);
    IpcIndex index = index(bytes);
    byte[] header = index.batch(0).header().clone();
    ByteBuffer bb = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    Message message = Message.getRootAsMessage(bb);
    int table = tablePosition(message);
    int vtable = table - bb.getInt(table);
    short versionSlot = bb.getShort(vtable + 4);
    assertThat(versionSlot).isPositive();
    bb.putShort(table + versionSlot, MetadataVersion.V3);
    byte[] damaged = bytes.clone();
    System.arraycopy(header, 0, damaged, (int) index.batch(0).bodyOffset() - header.length, header.length);
    assertThatThrownBy(() -> index(damaged))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("unsupported metadata version");
  }

  // ---- projection ---------------------------------------------------------------------------------

  /**
   * Rebuilds a record batch Message from {@code original}, optionally with custom metadata, and
   * optionally with a nodes vector that holds only {@code nodesWritten} of the nodes it declares.
   */
  private static byte[] rebuildBatch(byte[] original, byte[][] metadata, int nodesWritten) {
    Message message = Message.getRootAsMessage(ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN));
    RecordBatch rb = (RecordBatch) message.header(new RecordBatch());
    FlatBufferBuilder b = new FlatBufferBuilder();
    // the nodes vector is created first, so it ends the buffer
    RecordBatch.startNodesVector(b, nodesWritten);
    FieldNode node = new FieldNode();
    for (int i = nodesWritten - 1; i >= 0; i--) {
      rb.nodes(node, i);
      FieldNode.createFieldNode(b, node.length(), node.nullCount());
    }
    int nodes = b.endVector();
    RecordBatch.startBuffersVector(b, rb.buffersLength());
    Buffer buffer = new Buffer();
    for (int i = rb.buffersLength() - 1; i >= 0; i--) {
      rb.buffers(buffer, i);
      Buffer.createBuffer(b, buffer.offset(), buffer.length());
    }
    int buffers = b.endVector();
    int compression = rb.compression() == null ? 0
        : BodyCompression.createBodyCompression(b, rb.compression().codec(), rb.compression().method());
    RecordBatch.startRecordBatch(b);
    RecordBatch.addLength(b, rb.length());
    RecordBatch.addNodes(b, nodes);
    RecordBatch.addBuffers(b, buffers);
    if (compression != 0) {
      RecordBatch.addCompression(b, compression);
    }
    int batch = RecordBatch.endRecordBatch(b);
    int customMetadata = 0;
    if (metadata != null) {
      int key = b.createString(ByteBuffer.wrap(metadata[0]));
      int value = b.createString(ByteBuffer.wrap(metadata[1]));
      customMetadata = Message.createCustomMetadataVector(b, new int[] {KeyValue.createKeyValue(b, key, value)});
    }
    Message.startMessage(b);
    Message.addVersion(b, message.version());
    Message.addHeaderType(b, MessageHeader.RecordBatch);
    Message.addHeader(b, batch);
    Message.addBodyLength(b, message.bodyLength());
    if (customMetadata != 0) {
      Message.addCustomMetadata(b, customMetadata);
    }
    Message.finishMessageBuffer(b, Message.endMessage(b));
    return b.sizedByteArray();
  }

  /** The two-int stream with its one batch's header replaced. */
  private byte[] streamWithBatchHeader(java.util.function.UnaryOperator<byte[]> change) throws IOException {
    byte[] valid = twoInts(true, 1);
    byte[][] parts = new byte[3][];
    withIndex(valid, (file, index) -> {
      parts[0] = index.schemaHeader();
      parts[1] = index.batch(0).header();
      parts[2] = ArrowFiles.body(file, index.batch(0));
    });
    return new ArrowFiles.StreamBuilder().message(parts[0], new byte[0]).message(change.apply(parts[1]), parts[2]).finish();
  }

  @Test
  void projectionKeepsTheBatchsCustomMetadata() throws IOException {
    byte[] bytes = streamWithBatchHeader(h -> rebuildBatch(h,
        new byte[][] {"note".getBytes(StandardCharsets.UTF_8), "ünï".getBytes(StandardCharsets.UTF_8)}, 2));
    withIndex(bytes, (file, index) -> {
      Projection.ProjectedBatch projected = Projection.of(index, List.of("b")).project(index.batch(0), "batch 0");
      Message message = Message.getRootAsMessage(ByteBuffer.wrap(projected.header()).order(ByteOrder.LITTLE_ENDIAN));
      assertThat(message.customMetadataLength()).isEqualTo(1);
      assertThat(message.customMetadata(0).key()).isEqualTo("note");
      assertThat(message.customMetadata(0).value()).isEqualTo("ünï");
      ArrowFiles.Table table = ArrowFiles.read(allocator,
          ArrowFiles.reassemble(file, index, Projection.of(index, List.of("b")), 0, 1));
      assertThat(table.batches()).isEqualTo(List.of(List.of(List.of(0), List.of(-1), List.of(-2))));
    });
  }

  @Test
  void projectionOfABatchWithNonUtf8CustomMetadata() throws IOException {
    byte[] bytes = streamWithBatchHeader(h -> rebuildBatch(h,
        new byte[][] {{(byte) 0xFF, (byte) 0xFE, 'k'}, {(byte) 0xC3, '('}}, 2));
    withIndex(bytes, (file, index) -> {
      Projection projection = Projection.of(index, List.of("b"));
      assertThatThrownBy(() -> projection.project(index.batch(0), "batch 0"))
          .isInstanceOf(IpcFormatException.class)
          .hasMessageContaining("batch 0");
    });
  }

  @Test
  void projectionOfABatchWhoseNodesRunPastTheHeader() throws IOException {
    // declares the 2 nodes the schema needs, holds 1: node 1 would be read past the header's end
    byte[][] damaged = new byte[1][];
    byte[] bytes = streamWithBatchHeader(h -> {
      byte[] rebuilt = rebuildBatch(h, null, 1);
      ByteBuffer bb = ByteBuffer.wrap(rebuilt).order(ByteOrder.LITTLE_ENDIAN);
      assertThat(bb.getInt(rebuilt.length - 16 - 4)).as("nodes vector length, just before its one node").isEqualTo(1);
      bb.putInt(rebuilt.length - 16 - 4, 2);
      damaged[0] = rebuilt;
      return rebuilt;
    });
    // The indexer reads every field node of a batch, so it refuses such a file outright ...
    assertThatThrownBy(() -> index(bytes))
        .isInstanceOf(IpcFormatException.class)
        .hasMessageContaining("message 1");
    // ... and the projection, handed such a batch all the same, refuses it too.
    withIndex(twoInts(true, 1), (file, index) -> {
      IpcMessage valid = index.batch(0);
      IpcMessage batch = IpcMessage.recordBatch(damaged[0], valid.bodyOffset(), valid.bodyLength(), valid.rows());
      Projection projection = Projection.of(index, List.of("b"));
      assertThatThrownBy(() -> projection.project(batch, "batch 0"))
          .isInstanceOf(IpcFormatException.class)
          .hasMessageContaining("batch 0");
    });
  }
}
