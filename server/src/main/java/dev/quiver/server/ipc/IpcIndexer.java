package dev.quiver.server.ipc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Builds the {@link IpcIndex} of a mapped file: from the footer for the file format, by walking the
 * message prefixes once for the stream format. Every offset and length read from the file is checked
 * against the file's size before it is used, so a corrupt or hostile file yields an
 * {@link IpcFormatException}, never a read outside the mapping.
 */
public final class IpcIndexer {
  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** "ARROW1" plus two bytes of padding precede the stream inside a file-format file. */
  private static final int FILE_HEADER_BYTES = 8;
  /** Footer length (int32) and the trailing "ARROW1". */
  private static final int FILE_TRAILER_BYTES = 4 + 6;

  private IpcIndexer() {}

  /** Indexes {@code file}, which must be held (retained) by the caller for the duration. */
  public static IpcIndex index(MappedFile file) throws IpcFormatException {
    MemorySegment segment = file.segment();
    long size = segment.byteSize();
    ByteBuffer head = segment.asSlice(0, Math.min(8, size)).asByteBuffer();
    IpcFormat format = IpcFormat.sniff(head).orElseThrow(() -> new IpcFormatException(
        "not an Arrow IPC file (no ARROW1 magic and no stream schema message at the start)"));
    return format == IpcFormat.FILE ? indexFile(segment) : indexStream(segment);
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
    try {
      byte[] footerBytes = file.asSlice(footerStart, footerLength).toArray(ValueLayout.JAVA_BYTE);
      footer = Footer.getRootAsFooter(ByteBuffer.wrap(footerBytes).order(ByteOrder.LITTLE_ENDIAN));
      // Touch the vectors now so a garbage footer fails here, with a clear message.
      footer.dictionariesLength();
      footer.recordBatchesLength();
    } catch (RuntimeException e) {
      throw new IpcFormatException("corrupt Arrow file: unreadable footer (" + e + ")", e);
    }

    MessageReader.Encapsulated schemaMessage =
        MessageReader.read(file, FILE_HEADER_BYTES, footerStart, "schema");
    if (schemaMessage == null || schemaMessage.headerType() != MessageHeader.Schema) {
      throw new IpcFormatException("corrupt Arrow file: the first message is not a schema");
    }
    Schema schema = schema(schemaMessage.message());
    Set<Long> dictionaryIds = dictionaryIds(schema);

    List<IpcMessage> messages = new ArrayList<>();
    boolean compressed = false;
    Block block = new Block();
    int dictionaries = checkedLength(footer.dictionariesLength(), footerLength, "dictionary");
    for (int i = 0; i < dictionaries; i++) {
      footer.dictionaries(block, i);
      messages.add(dictionaryFromBlock(file, block, footerStart, "dictionary block " + i, dictionaryIds));
    }
    int batches = checkedLength(footer.recordBatchesLength(), footerLength, "record batch");
    for (int i = 0; i < batches; i++) {
      footer.recordBatches(block, i);
      String where = "record batch block " + i;
      long bodyOffset = blockBody(block, footerStart, where);
      MessageReader.Encapsulated m = MessageReader.read(file, block.offset(), bodyOffset, where);
      if (m == null || m.headerType() != MessageHeader.RecordBatch) {
        throw new IpcFormatException(where + ": block does not hold a record batch message");
      }
      checkBodyLength(m, block, where);
      RecordBatch batch = MessageReader.recordBatch(m.message(), m.header().length, where);
      compressed |= batch.compression() != null;
      messages.add(IpcMessage.recordBatch(m.header(), bodyOffset, block.bodyLength(), batch.length()));
    }
    return new IpcIndex(IpcFormat.FILE, schemaMessage.header(), schema, messages, compressed);
  }

  private static int checkedLength(int count, int footerLength, String what) throws IpcFormatException {
    // A Block struct is 24 bytes; more blocks than the footer can hold means a garbage footer.
    if (count < 0 || (long) count * 24 > footerLength) {
      throw new IpcFormatException("corrupt Arrow file: footer claims " + count + " " + what + " blocks");
    }
    return count;
  }

  /** Checks a footer block against the file and returns the absolute offset of its body. */
  private static long blockBody(Block block, long footerStart, String where) throws IpcFormatException {
    long offset = block.offset();
    long metadata = block.metaDataLength();
    long body = block.bodyLength();
    if (offset < FILE_HEADER_BYTES || metadata < 8 || body < 0
        || offset > footerStart || metadata > footerStart - offset
        || body > footerStart - offset - metadata) {
      throw new IpcFormatException(
          where + " [offset " + offset + ", metadata " + metadata + ", body " + body
              + "] lies outside the file's data (which ends at byte " + footerStart + ")");
    }
    return offset + metadata;
  }

  private static void checkBodyLength(MessageReader.Encapsulated m, Block block, String where)
      throws IpcFormatException {
    if (m.message().bodyLength() != block.bodyLength()) {
      throw new IpcFormatException(
          where + ": footer says the body is " + block.bodyLength() + " bytes, the message header says "
              + m.message().bodyLength());
    }
  }

  private static IpcMessage dictionaryFromBlock(
      MemorySegment file, Block block, long footerStart, String where, Set<Long> ids)
      throws IpcFormatException {
    long bodyOffset = blockBody(block, footerStart, where);
    MessageReader.Encapsulated m = MessageReader.read(file, block.offset(), bodyOffset, where);
    if (m == null || m.headerType() != MessageHeader.DictionaryBatch) {
      throw new IpcFormatException(where + ": block does not hold a dictionary batch message");
    }
    checkBodyLength(m, block, where);
    return dictionary(m, bodyOffset, where, ids);
  }

  private static IpcMessage dictionary(
      MessageReader.Encapsulated m, long bodyOffset, String where, Set<Long> ids) throws IpcFormatException {
    DictionaryBatch d = MessageReader.dictionaryBatch(m.message(), m.header().length, where);
    if (!ids.contains(d.id())) {
      throw new IpcFormatException(where + ": dictionary id " + d.id() + " is not used by any field of the schema");
    }
    return IpcMessage.dictionaryBatch(
        m.header(), bodyOffset, m.message().bodyLength(), d.data().length(), d.id(), d.isDelta());
  }

  private static IpcIndex indexStream(MemorySegment file) throws IpcFormatException {
    long size = file.byteSize();
    MessageReader.Encapsulated schemaMessage = MessageReader.read(file, 0, size, "schema");
    if (schemaMessage == null || schemaMessage.headerType() != MessageHeader.Schema) {
      throw new IpcFormatException("corrupt Arrow stream: the first message is not a schema");
    }
    Schema schema = schema(schemaMessage.message());
    Set<Long> dictionaryIds = dictionaryIds(schema);
    List<IpcMessage> messages = new ArrayList<>();
    boolean compressed = false;
    long position = schemaMessage.metadataEnd() + schemaMessage.message().bodyLength();
    int index = 1;
    while (true) {
      String where = "message " + index + " (offset " + position + ")";
      if (position > size) {
        throw new IpcFormatException("truncated Arrow stream: " + where + " starts past the end of the file");
      }
      MessageReader.Encapsulated m = MessageReader.read(file, position, size, where);
      if (m == null) {
        break;
      }
      long bodyOffset = m.metadataEnd();
      long bodyLength = m.message().bodyLength();
      if (bodyLength > size - bodyOffset) {
        throw new IpcFormatException(
            "truncated Arrow stream: " + where + " has a " + bodyLength + "-byte body but the file ends "
                + (size - bodyOffset) + " bytes after its header");
      }
      switch (m.headerType()) {
        case MessageHeader.RecordBatch -> {
          RecordBatch batch = MessageReader.recordBatch(m.message(), m.header().length, where);
          compressed |= batch.compression() != null;
          messages.add(IpcMessage.recordBatch(m.header(), bodyOffset, bodyLength, batch.length()));
        }
        case MessageHeader.DictionaryBatch -> messages.add(dictionary(m, bodyOffset, where, dictionaryIds));
        default -> throw new IpcFormatException(where + ": a stream may hold only one schema message");
      }
      position = bodyOffset + bodyLength;
      index++;
    }
    return new IpcIndex(IpcFormat.STREAM, schemaMessage.header(), schema, messages, compressed);
  }

  private static Schema schema(Message message) throws IpcFormatException {
    try {
      return MessageSerializer.deserializeSchema(message);
    } catch (RuntimeException e) {
      throw new IpcFormatException("unreadable schema (" + e.getMessage() + ")", e);
    }
  }

  /** Every dictionary id used anywhere in the schema, nested fields included. */
  public static Set<Long> dictionaryIds(Schema schema) {
    Set<Long> ids = new HashSet<>();
    for (Field field : schema.getFields()) {
      collectDictionaryIds(field, ids);
    }
    return ids;
  }

  static void collectDictionaryIds(Field field, Set<Long> ids) {
    if (field.getDictionary() != null) {
      ids.add(field.getDictionary().getId());
    }
    for (Field child : field.getChildren()) {
      collectDictionaryIds(child, ids);
    }
  }
}
