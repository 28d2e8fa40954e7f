package dev.quiver.server.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quiver.protocol.ProtocolException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.flatbuf.BodyCompression;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A choice of top-level columns, and how to cut record batches down to them without copying data:
 * a projected batch gets a new (small) flatbuffer header that lists only the chosen columns' nodes
 * and buffers, and a body made of slices of the original mapped body, one per column, re-based to
 * new offsets. Compressed buffers are compressed one by one, so they slice the same way.
 */
public final class Projection {
  private final int[] columns;
  private final ColumnLayout[] layouts;
  private final int totalNodes;
  private final int totalBuffers;
  private final int totalVariadics;
  private final Schema schema;
  private final byte[] schemaHeader;
  private final Set<Long> dictionaryIds;

  private Projection(IpcIndex index, int[] columns) {
    this.columns = columns;
    Schema full = index.schema();
    this.layouts = ColumnLayout.of(full);
    ColumnLayout last = layouts.length == 0 ? null : layouts[layouts.length - 1];
    this.totalNodes = last == null ? 0 : last.nodeStart() + last.nodes();
    this.totalBuffers = last == null ? 0 : last.bufferStart() + last.buffers();
    this.totalVariadics = last == null ? 0 : last.variadicStart() + last.variadics();
    List<Field> fields = new ArrayList<>(columns.length);
    Set<Long> ids = new HashSet<>();
    for (int column : columns) {
      Field field = full.getFields().get(column);
      fields.add(field);
      IpcIndexer.collectDictionaryIds(field, ids);
    }
    this.schema = new Schema(fields, full.getCustomMetadata());
    this.dictionaryIds = Set.copyOf(ids);
    ByteBuffer serialized = MessageSerializer.serializeMetadata(schema, IpcOption.DEFAULT);
    this.schemaHeader = new byte[serialized.remaining()];
    serialized.get(schemaHeader);
  }

  /**
   * Selects {@code names} (in that order) from the index's schema.
   *
   * @throws ProtocolException naming a column that does not exist or is ambiguous
   */
  public static Projection of(IpcIndex index, List<String> names) {
    List<Field> fields = index.schema().getFields();
    Map<String, Integer> positions = new HashMap<>();
    Set<String> duplicated = new HashSet<>();
    for (int i = 0; i < fields.size(); i++) {
      if (positions.putIfAbsent(fields.get(i).getName(), i) != null) {
        duplicated.add(fields.get(i).getName());
      }
    }
    int[] columns = new int[names.size()];
    for (int i = 0; i < columns.length; i++) {
      String name = names.get(i);
      Integer position = positions.get(name);
      if (position == null) {
        List<String> available = fields.stream().map(Field::getName).toList();
        throw new ProtocolException("unknown column '" + name + "'; the columns are " + available);
      }
      if (duplicated.contains(name)) {
        throw new ProtocolException("column name '" + name + "' is ambiguous: the schema has it more than once");
      }
      columns[i] = position;
    }
    return new Projection(index, columns);
  }

  public Schema schema() {
    return schema;
  }

  /** The flatbuffer Schema message of the projected schema. */
  public byte[] schemaHeader() {
    return schemaHeader;
  }

  /** Dictionaries the chosen columns need; others are not sent. */
  public Set<Long> dictionaryIds() {
    return dictionaryIds;
  }

  /** A record batch cut down to the chosen columns: new header, body as slices of the old one. */
  public record ProjectedBatch(byte[] header, List<BodyPiece> body, long bodyLength) {}

  /** Cuts {@code batch} down to the chosen columns. */
  public ProjectedBatch project(IpcMessage batch, String where) throws IpcFormatException {
    Message message = MessageReader.parse(batch.header(), where);
    RecordBatch rb = MessageReader.recordBatch(message, batch.header().length, where);
    int variadicCounts = rb.variadicBufferCountsLength();
    if (rb.nodesLength() != totalNodes || rb.buffersLength() != totalBuffers
        || (variadicCounts != totalVariadics && !(variadicCounts == 0 && totalVariadics == 0))) {
      throw new IpcFormatException(
          where + ": the batch has " + rb.nodesLength() + " field nodes and " + rb.buffersLength()
              + " buffers, but its schema implies " + totalNodes + " and " + totalBuffers);
    }

    List<long[]> nodes = new ArrayList<>();
    List<long[]> buffers = new ArrayList<>();
    List<Long> variadics = new ArrayList<>();
    List<BodyPiece> pieces = new ArrayList<>();
    long cursor = 0;
    Buffer buffer = new Buffer();
    FieldNode node = new FieldNode();
    for (int column : columns) {
      ColumnLayout layout = layouts[column];
      for (int n = layout.nodeStart(); n < layout.nodeStart() + layout.nodes(); n++) {
        rb.nodes(node, n);
        nodes.add(new long[] {node.length(), node.nullCount()});
      }
      for (int v = layout.variadicStart(); v < layout.variadicStart() + layout.variadics(); v++) {
        variadics.add(rb.variadicBufferCounts(v));
      }
      // The column's buffers lie together in the original body (writers emit them depth-first),
      // so the whole span [lo, hi) moves as one slice and keeps its inner offsets.
      long lo = Long.MAX_VALUE;
      long hi = -1;
      int firstBuffer = layout.bufferStart();
      int lastBuffer = firstBuffer + layout.buffers();
      for (int b = firstBuffer; b < lastBuffer; b++) {
        rb.buffers(buffer, b);
        if (buffer.length() > 0) {
          lo = Math.min(lo, buffer.offset());
          hi = Math.max(hi, buffer.offset() + buffer.length());
        }
      }
      long base = cursor;
      if (hi >= 0) {
        // Keep each buffer's alignment: start the slice at the same offset modulo 8 as before.
        base = align8(cursor) + (lo & 7);
        if (base < cursor) {
          base += 8;
        }
        if (base > cursor) {
          pieces.add(BodyPiece.zeros(base - cursor));
        }
        pieces.add(BodyPiece.ofFile(batch.bodyOffset() + lo, hi - lo));
        cursor = base + (hi - lo);
      }
      for (int b = firstBuffer; b < lastBuffer; b++) {
        rb.buffers(buffer, b);
        long offset = buffer.length() > 0 ? base + (buffer.offset() - lo) : base;
        buffers.add(new long[] {offset, buffer.length()});
      }
    }
    long bodyLength = align8(cursor);
    if (bodyLength > cursor) {
      pieces.add(BodyPiece.zeros(bodyLength - cursor));
    }
    byte[] header = header(message, rb, nodes, buffers, variadics, bodyLength);
    return new ProjectedBatch(header, List.copyOf(pieces), bodyLength);
  }

  private static byte[] header(
      Message original, RecordBatch rb, List<long[]> nodes, List<long[]> buffers, List<Long> variadics,
      long bodyLength) {
    FlatBufferBuilder b = new FlatBufferBuilder(128 + 16 * (nodes.size() + buffers.size()));
    RecordBatch.startNodesVector(b, nodes.size());
    for (int i = nodes.size() - 1; i >= 0; i--) {
      FieldNode.createFieldNode(b, nodes.get(i)[0], nodes.get(i)[1]);
    }
    int nodesVector = b.endVector();
    RecordBatch.startBuffersVector(b, buffers.size());
    for (int i = buffers.size() - 1; i >= 0; i--) {
      Buffer.createBuffer(b, buffers.get(i)[0], buffers.get(i)[1]);
    }
    int buffersVector = b.endVector();
    int variadicVector = variadics.isEmpty()
        ? 0
        : RecordBatch.createVariadicBufferCountsVector(b, variadics.stream().mapToLong(Long::longValue).toArray());
    BodyCompression compression = rb.compression();
    int compressionOffset = compression == null
        ? 0
        : BodyCompression.createBodyCompression(b, compression.codec(), compression.method());
    RecordBatch.startRecordBatch(b);
    RecordBatch.addLength(b, rb.length());
    RecordBatch.addNodes(b, nodesVector);
    RecordBatch.addBuffers(b, buffersVector);
    if (compressionOffset != 0) {
      RecordBatch.addCompression(b, compressionOffset);
    }
    if (variadicVector != 0) {
      RecordBatch.addVariadicBufferCounts(b, variadicVector);
    }
    int batchOffset = RecordBatch.endRecordBatch(b);

    int metadataVector = 0;
    if (original.customMetadataLength() > 0) {
      int[] pairs = new int[original.customMetadataLength()];
      KeyValue kv = new KeyValue();
      for (int i = 0; i < pairs.length; i++) {
        original.customMetadata(kv, i);
        int key = b.createString(kv.key() == null ? "" : kv.key());
        int value = b.createString(kv.value() == null ? "" : kv.value());
        pairs[i] = KeyValue.createKeyValue(b, key, value);
      }
      metadataVector = Message.createCustomMetadataVector(b, pairs);
    }
    Message.startMessage(b);
    Message.addVersion(b, original.version());
    Message.addHeaderType(b, MessageHeader.RecordBatch);
    Message.addHeader(b, batchOffset);
    Message.addBodyLength(b, bodyLength);
    if (metadataVector != 0) {
      Message.addCustomMetadata(b, metadataVector);
    }
    Message.finishMessageBuffer(b, Message.endMessage(b));
    return b.sizedByteArray();
  }

  private static long align8(long n) {
    return (n + 7) & ~7L;
  }
}
