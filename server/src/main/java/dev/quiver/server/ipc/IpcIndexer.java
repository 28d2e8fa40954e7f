package dev.quiver.server.ipc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

/**
 * Builds the {@link IpcIndex} of a mapped file: from the footer for the file format, by walking the
 * message prefixes once for the stream format. Every offset and length read from the file is checked
 * against the file's size before it is used, and every flatbuffer read is guarded, so a corrupt or
 * hostile file yields an {@link IpcFormatException}, never a read outside the mapping.
 */
public final class IpcIndexer {
  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** "ARROW1" plus two bytes of padding precede the stream inside a file-format file. */
  private static final int FILE_HEADER_BYTES = 8;
  /** Footer length (int32) and the trailing "ARROW1". */
  private static final int FILE_TRAILER_BYTES = 4 + 6;
  /** Size of the flatbuffer Block struct. */
  private static final int BLOCK_BYTES = 24;

  private IpcIndexer() {}

  /** Indexes {@code file}, which must be held (retained) by the caller for the duration. */
  public static IpcIndex index(MappedFile file) throws IpcFormatException {
    MemorySegment segment = file.segment();
    long size = segment.byteSize();
    ByteBuffer head = segment.asSlice(0, Math.min(8, size)).asByteBuffer();
    IpcFormat format = IpcFormat.sniff(head).orElse(null);
    if (format == IpcFormat.FILE) {
      return indexFile(segment);
    }
    if (format == null && !startsWithLegacySchema(segment)) {
      throw new IpcFormatException(
          "not an Arrow IPC file (no ARROW1 magic and no stream schema message at the start)");
    }
    return indexStream(segment);
  }

  /** Streams written before Arrow 0.15 have no continuation marker: a length, then the schema. */
  private static boolean startsWithLegacySchema(MemorySegment file) {
    try {
      MessageReader.Encapsulated first = MessageReader.read(file, 0, file.byteSize(), "schema");
      return first != null && first.headerType() == MessageHeader.Schema;
    } catch (IpcFormatException e) {
      return false;
    }
  }

  private static IpcIndex indexFile(MemorySegment file) throws IpcFormatException {
    long size = file.byteSize();
    if (size < FILE_HEADER_BYTES + FILE_TRAILER_BYTES) {
      throw new IpcFormatException("truncated Arrow file: " + size + " bytes is too short for magic and footer");
    }
    for (int i = 0; i < IpcFormat.MAGIC.length; i++) {
      if (file.get(ValueLayout.JAVA_BYTE, size - 6 + i) != IpcFormat.MAGIC[i]) {
        throw new IpcFormatException(
            "truncated or incomplete Arrow file: no ARROW1 magic at the end (was it still being written?)");
      }
    }
    int footerLength = file.get(INT_LE, size - FILE_TRAILER_BYTES);
    long footerStart = size - FILE_TRAILER_BYTES - footerLength;
    if (footerLength <= 0 || footerStart < FILE_HEADER_BYTES) {
      throw new IpcFormatException(
          "corrupt Arrow file: footer length " + footerLength + " does not fit in a " + size + "-byte file");
    }
    Footer footer;
    int dictionaries;
    int batches;
    try {
      byte[] footerBytes = file.asSlice(footerStart, footerLength).toArray(ValueLayout.JAVA_BYTE);
      footer = Footer.getRootAsFooter(ByteBuffer.wrap(footerBytes).order(ByteOrder.LITTLE_ENDIAN));
      dictionaries = footer.dictionariesLength();
      batches = footer.recordBatchesLength();
    } catch (RuntimeException e) {
      throw new IpcFormatException("corrupt Arrow file: unreadable footer (" + e + ")", e);
    }
    checkBlockCount(dictionaries, footerLength, "dictionary");
    checkBlockCount(batches, footerLength, "record batch");

    IpcSchema schema = fileSchema(file, footer, footerStart);
    Set<Long> dictionaryIds = schema.dictionaryIds();
    List<IpcMessage> messages = new ArrayList<>();
    boolean compressed = false;
    for (int i = 0; i < dictionaries; i++) {
      String where = "dictionary block " + i;
      BlockPosition block = block(footer, true, i, footerStart, where);
      MessageReader.Encapsulated m = blockMessage(file, block, MessageHeader.DictionaryBatch, where);
      messages.add(dictionary(m, block.bodyOffset(), where, dictionaryIds));
    }
    for (int i = 0; i < batches; i++) {
      String where = "record batch block " + i;
      BlockPosition block = block(footer, false, i, footerStart, where);
      MessageReader.Encapsulated m = blockMessage(file, block, MessageHeader.RecordBatch, where);
      RecordBatch batch = MessageReader.recordBatch(m.message(), m.header().length, where);
      compressed |= MessageReader.isCompressed(batch, where);
      messages.add(IpcMessage.recordBatch(m.header(), block.bodyOffset(), block.bodyLength(),
          MessageReader.rowCount(batch, where)));
    }
    return new IpcIndex(IpcFormat.FILE, schema, messages, compressed);
  }

  /**
   * The schema message that opens the file's embedded stream, or, if that is missing or unreadable
   * (some writers put a bare flatbuffer there), the footer's schema wrapped in a new message.
   */
  private static IpcSchema fileSchema(MemorySegment file, Footer footer, long footerStart) throws IpcFormatException {
    try {
      MessageReader.Encapsulated first = MessageReader.read(file, FILE_HEADER_BYTES, footerStart, "schema");
      if (first != null && first.headerType() == MessageHeader.Schema) {
        return IpcSchema.fromMessage(first.header());
      }
    } catch (IpcFormatException e) {
      // fall back to the footer below
    }
    org.apache.arrow.flatbuf.Schema footerSchema;
    short version;
    try {
      footerSchema = footer.schema();
      version = footer.version();
    } catch (RuntimeException e) {
      throw new IpcFormatException("corrupt Arrow file: unreadable footer schema (" + e + ")", e);
    }
    if (footerSchema == null) {
      throw new IpcFormatException("corrupt Arrow file: no schema message and no schema in the footer");
    }
    return IpcSchema.fromSchema(footerSchema, version);
  }

  private static void checkBlockCount(int count, int footerLength, String what) throws IpcFormatException {
    // More blocks than the footer can hold means a garbage footer.
    if (count < 0 || (long) count * BLOCK_BYTES > footerLength) {
      throw new IpcFormatException("corrupt Arrow file: footer claims " + count + " " + what + " blocks");
    }
  }

  /** A footer block, checked against the file. */
  private record BlockPosition(long offset, long bodyOffset, long bodyLength) {}

  private static BlockPosition block(Footer footer, boolean dictionary, int i, long footerStart, String where)
      throws IpcFormatException {
    long offset;
    long metadata;
    long body;
    try {
      Block block = dictionary ? footer.dictionaries(new Block(), i) : footer.recordBatches(new Block(), i);
      offset = block.offset();
      metadata = block.metaDataLength();
      body = block.bodyLength();
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable footer entry (" + e + ")", e);
    }
    if (offset < FILE_HEADER_BYTES || metadata < 8 || body < 0
        || offset > footerStart || metadata > footerStart - offset
        || body > footerStart - offset - metadata) {
      throw new IpcFormatException(
          where + " [offset " + offset + ", metadata " + metadata + ", body " + body
              + "] lies outside the file's data (which ends at byte " + footerStart + ")");
    }
    return new BlockPosition(offset, offset + metadata, body);
  }

  private static MessageReader.Encapsulated blockMessage(
      MemorySegment file, BlockPosition block, byte expectedType, String where) throws IpcFormatException {
    MessageReader.Encapsulated m = MessageReader.read(file, block.offset(), block.bodyOffset(), where);
    if (m == null || m.headerType() != expectedType) {
      throw new IpcFormatException(where + ": block does not hold a " + MessageHeader.name(expectedType) + " message");
    }
    if (m.message().bodyLength() != block.bodyLength()) {
      throw new IpcFormatException(
          where + ": footer says the body is " + block.bodyLength() + " bytes, the message header says "
              + m.message().bodyLength());
    }
    return m;
  }

  private static IpcMessage dictionary(
      MessageReader.Encapsulated m, long bodyOffset, String where, Set<Long> ids) throws IpcFormatException {
    DictionaryBatch d = MessageReader.dictionaryBatch(m.message(), m.header().length, where);
    long id;
    boolean delta;
    long rows;
    try {
      id = d.id();
      delta = d.isDelta();
      rows = d.data().length();
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable dictionary batch header (" + e + ")", e);
    }
    if (!ids.contains(id)) {
      throw new IpcFormatException(where + ": dictionary id " + id + " is not used by any field of the schema");
    }
    return IpcMessage.dictionaryBatch(m.header(), bodyOffset, m.message().bodyLength(), rows, id, delta);
  }

  private static IpcIndex indexStream(MemorySegment file) throws IpcFormatException {
    long size = file.byteSize();
    MessageReader.Encapsulated schemaMessage = MessageReader.read(file, 0, size, "schema");
    if (schemaMessage == null || schemaMessage.headerType() != MessageHeader.Schema) {
      throw new IpcFormatException("corrupt Arrow stream: the first message is not a schema");
    }
    IpcSchema schema = IpcSchema.fromMessage(schemaMessage.header());
    Set<Long> dictionaryIds = schema.dictionaryIds();
    List<IpcMessage> messages = new ArrayList<>();
    boolean compressed = false;
    long position = bodyEnd(schemaMessage, size, "schema");
    int index = 1;
    while (true) {
      String where = "message " + index + " (offset " + position + ")";
      MessageReader.Encapsulated m = MessageReader.read(file, position, size, where);
      if (m == null) {
        break;
      }
      long bodyOffset = m.metadataEnd();
      long end = bodyEnd(m, size, where);
      switch (m.headerType()) {
        case MessageHeader.RecordBatch -> {
          RecordBatch batch = MessageReader.recordBatch(m.message(), m.header().length, where);
          compressed |= MessageReader.isCompressed(batch, where);
          messages.add(IpcMessage.recordBatch(
              m.header(), bodyOffset, m.message().bodyLength(), MessageReader.rowCount(batch, where)));
        }
        case MessageHeader.DictionaryBatch -> messages.add(dictionary(m, bodyOffset, where, dictionaryIds));
        default -> throw new IpcFormatException(where + ": a stream may hold only one schema message");
      }
      position = end;
      index++;
    }
    return new IpcIndex(IpcFormat.STREAM, schema, messages, compressed);
  }

  /** Where a stream message's body ends, checked (without overflow) against the file size. */
  private static long bodyEnd(MessageReader.Encapsulated m, long size, String where) throws IpcFormatException {
    long bodyLength = m.message().bodyLength();
    if (bodyLength > size - m.metadataEnd()) {
      throw new IpcFormatException(
          "truncated Arrow stream: " + where + " has a " + bodyLength + "-byte body but the file ends "
              + (size - m.metadataEnd()) + " bytes after its header");
    }
    return m.metadataEnd() + bodyLength;
  }

  /** Every dictionary id used anywhere in the schema, nested fields included. */
  public static Set<Long> dictionaryIds(IpcSchema schema) {
    return schema.dictionaryIds();
  }
}
