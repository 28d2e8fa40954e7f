package dev.quiver.server.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quiver.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.flatbuf.BodyCompression;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

/**
 * A choice of top-level columns, and how to cut record batches down to them without copying data:
 * a projected batch gets a new (small) flatbuffer header that lists only the chosen columns' nodes
 * and buffers, and a body made of slices of the original mapped body, one per column, re-based to
 * new offsets. Compressed buffers are compressed one by one, so they slice the same way.
 */
public final class Projection {
  private final IpcIndex index;
  private final int[] columns;
  private final IpcSchema schema;
  private final Set<Long> dictionaryIds;

  private Projection(IpcIndex index, int[] columns) throws IpcFormatException {
    this.index = index;
    this.columns = columns;
    this.schema = index.schema().project(columns);
    Set<Long> ids = new HashSet<>();
    for (int column : columns) {
      ids.addAll(index.schema().dictionaryIds(column));
    }
    this.dictionaryIds = Set.copyOf(ids);
  }

  /**
   * Selects {@code names} (in that order) from the index's schema.
   *
   * @throws ProtocolException naming a column that does not exist or is ambiguous
   * @throws IpcFormatException if the schema cannot be rewritten (a corrupt file)
   */
  public static Projection of(IpcIndex index, List<String> names) throws IpcFormatException {
    List<String> fields = index.schema().fieldNames();
    Map<String, Integer> positions = new HashMap<>();
    Set<String> duplicated = new HashSet<>();
    for (int i = 0; i < fields.size(); i++) {
      if (positions.putIfAbsent(fields.get(i), i) != null) {
        duplicated.add(fields.get(i));
      }
    }
    int[] columns = new int[names.size()];
    for (int i = 0; i < columns.length; i++) {
      String name = names.get(i);
      Integer position = positions.get(name);
      if (position == null) {
        throw new ProtocolException("unknown column '" + name + "'; the columns are " + fields);
      }
      if (duplicated.contains(name)) {
        throw new ProtocolException("column name '" + name + "' is ambiguous: the schema has it more than once");
      }
      columns[i] = position;
    }
    return new Projection(index, columns);
  }

  /** The projected schema: the chosen fields, copied unchanged, with the schema's metadata. */
  public IpcSchema schema() {
    return schema;
  }

  /** The flatbuffer Schema message of the projected schema. */
  public byte[] schemaHeader() {
    return schema.messageHeader();
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
    try {
      return project(batch, message, rb, where);
    } catch (RuntimeException e) {
      // The header passed validation, but some field it never looked at is garbage.
      throw new IpcFormatException(where + ": unreadable record batch header (" + e + ")", e);
    }
  }

  private ProjectedBatch project(IpcMessage batch, Message message, RecordBatch rb, String where)
      throws IpcFormatException {
    ColumnLayout[] layouts = index.schema().layouts(message.version());
    int[] bufferStarts = ColumnLayout.bufferStarts(layouts, rb, where);
    int variadicCounts = rb.variadicBufferCountsLength();

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
        variadics.add(v < variadicCounts ? rb.variadicBufferCounts(v) : 0L);
      }
      // The column's buffers lie together in the original body (writers emit them depth-first),
      // so the whole span [lo, hi) moves as one slice and keeps its inner offsets.
      long lo = Long.MAX_VALUE;
      long hi = -1;
      int firstBuffer = bufferStarts[column];
      int lastBuffer = bufferStarts[column + 1];
      for (int b = firstBuffer; b < lastBuffer; b++) {
        rb.buffers(buffer, b);
        if (buffer.length() > 0) {
          lo = Math.min(lo, buffer.offset());
          hi = Math.max(hi, buffer.offset() + buffer.length());
        }
      }
      long base = align8(cursor);
      if (hi >= 0) {
        // Keep each buffer's alignment: start the slice at the same offset modulo 8 as before.
        base += lo & 7;
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
    BodyCompression compression = rb.compression();
    byte[] header = header(message, rb, nodes, buffers, variadics, bodyLength,
        compression == null ? -1 : compression.codec());
    return new ProjectedBatch(header, List.copyOf(pieces), bodyLength);
  }

  /**
   * A RecordBatch message like {@code original} but with the given nodes, buffers, variadic
   * counts and body length, compressed with {@code codec} (a {@code CompressionType}) or not (-1).
   */
  static byte[] header(
      Message original, RecordBatch rb, List<long[]> nodes, List<long[]> buffers, List<Long> variadics,
      long bodyLength, int codec) {
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
    int compressionOffset = codec < 0
        ? 0
        : BodyCompression.createBodyCompression(b, (byte) codec, org.apache.arrow.flatbuf.BodyCompressionMethod.BUFFER);
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

    int metadataVector = IpcSchema.copyMetadata(b, original.customMetadataLength(), original::customMetadata);
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
