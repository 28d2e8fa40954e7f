package dev.quiver.server.ipc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;

/**
 * Reads one encapsulated IPC message (continuation marker, length, flatbuffer header) out of a
 * mapped file, checking every length against the bytes that are really there before touching them.
 * Untrusted input: nothing here may read outside {@code [offset, limit)}.
 */
final class MessageReader {
  private static final ValueLayout.OfInt INT_LE =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  /** Far above any real header (10,000 columns need well under 1 MiB) and still safe to copy. */
  static final int MAX_HEADER_BYTES = 64 << 20;
  /** Flatbuffer structs Buffer and FieldNode are 16 bytes each. */
  private static final int STRUCT_BYTES = 16;

  /** A message read at some offset: its header, parsed, and where its body lies. */
  record Encapsulated(byte[] header, Message message, long metadataEnd) {
    byte headerType() {
      return message.headerType();
    }
  }

  private MessageReader() {}

  /**
   * Reads the message starting at {@code offset}, or returns null at an end-of-stream marker (or
   * at {@code limit}, which streams may end on without a marker).
   */
  static Encapsulated read(MemorySegment file, long offset, long limit, String where)
      throws IpcFormatException {
    if (offset == limit) {
      return null;
    }
    if (offset + 4 > limit) {
      throw new IpcFormatException(where + ": truncated message prefix at offset " + offset);
    }
    int first = file.get(INT_LE, offset);
    long lengthOffset = offset;
    if (first == IpcFormat.CONTINUATION) {
      if (offset + 8 > limit) {
        throw new IpcFormatException(where + ": truncated message prefix at offset " + offset);
      }
      lengthOffset = offset + 4;
    }
    // Without the continuation marker this is the pre-1.0 layout: the length comes first.
    int length = file.get(INT_LE, lengthOffset);
    long headerStart = lengthOffset + 4;
    if (length == 0) {
      return null;
    }
    if (length < 0 || length > MAX_HEADER_BYTES || headerStart + length > limit) {
      throw new IpcFormatException(
          where + ": message at offset " + offset + " declares a " + Integer.toUnsignedString(length)
              + "-byte header, but only " + Math.max(0, limit - headerStart) + " bytes follow");
    }
    byte[] header = file.asSlice(headerStart, length).toArray(ValueLayout.JAVA_BYTE);
    Message message = parse(header, where + ": message at offset " + offset);
    return new Encapsulated(header, message, headerStart + length);
  }

  /** Parses and sanity-checks a flatbuffer Message held in {@code header}. */
  static Message parse(byte[] header, String where) throws IpcFormatException {
    try {
      Message message = Message.getRootAsMessage(ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN));
      short version = message.version();
      if (version < MetadataVersion.V4 || version > MetadataVersion.V5) {
        throw new IpcFormatException(
            where + ": unsupported metadata version " + version + " (Arrow 0.15+ writes V4 or V5)");
      }
      if (message.bodyLength() < 0) {
        throw new IpcFormatException(where + ": negative body length " + message.bodyLength());
      }
      checkCustomMetadata(message, header.length, where);
      byte type = message.headerType();
      if (type != MessageHeader.Schema && type != MessageHeader.RecordBatch
          && type != MessageHeader.DictionaryBatch) {
        throw new IpcFormatException(
            where + ": unsupported message type " + MessageHeader.name(type) + " (only schema, record"
                + " batch and dictionary batch messages can be served)");
      }
      return message;
    } catch (IpcFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable message header (" + e + ")", e);
    }
  }

  /**
   * Reads every custom metadata entry of the message once, here inside the format-error guard: a
   * projection or an upload's compression copies them into a new header, and an entry pointing
   * outside the header would otherwise surface there as an IndexOutOfBoundsException (found by
   * fuzzing: MessageValidatorFuzzTest, UploadSessionFuzzTest).
   */
  private static void checkCustomMetadata(Message message, int headerBytes, String where) throws IpcFormatException {
    int entries = message.customMetadataLength();
    if (entries < 0 || (long) entries * Integer.BYTES > headerBytes) {
      throw new IpcFormatException(where + ": " + entries + " custom metadata entries cannot fit in the header");
    }
    KeyValue entry = new KeyValue();
    for (int i = 0; i < entries; i++) {
      message.customMetadata(entry, i);
      entry.keyAsByteBuffer();
      entry.valueAsByteBuffer();
    }
  }

  /** Returns the record batch a RecordBatch message carries, checked against its body. */
  static RecordBatch recordBatch(Message message, int headerBytes, String where) throws IpcFormatException {
    try {
      RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
      if (batch == null) {
        throw new IpcFormatException(where + ": record batch message without a record batch");
      }
      checkBatch(batch, message.bodyLength(), headerBytes, where);
      return batch;
    } catch (IpcFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable record batch header (" + e + ")", e);
    }
  }

  /** Returns the dictionary batch a DictionaryBatch message carries, checked against its body. */
  static DictionaryBatch dictionaryBatch(Message message, int headerBytes, String where)
      throws IpcFormatException {
    try {
      DictionaryBatch dictionary = (DictionaryBatch) message.header(new DictionaryBatch());
      if (dictionary == null || dictionary.data() == null) {
        throw new IpcFormatException(where + ": dictionary batch message without data");
      }
      checkBatch(dictionary.data(), message.bodyLength(), headerBytes, where);
      return dictionary;
    } catch (IpcFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable dictionary batch header (" + e + ")", e);
    }
  }

  private static void checkBatch(RecordBatch batch, long bodyLength, int headerBytes, String where)
      throws IpcFormatException {
    if (batch.length() < 0) {
      throw new IpcFormatException(where + ": negative row count " + batch.length());
    }
    // A vector longer than the header itself can only be garbage; refuse before iterating it.
    if ((long) batch.buffersLength() * STRUCT_BYTES > headerBytes
        || (long) batch.nodesLength() * STRUCT_BYTES > headerBytes
        || (long) batch.variadicBufferCountsLength() * Long.BYTES > headerBytes) {
      throw new IpcFormatException(where + ": buffer, node or variadic count larger than the header holds");
    }
    Buffer buffer = new Buffer();
    for (int i = 0; i < batch.buffersLength(); i++) {
      batch.buffers(buffer, i);
      long offset = buffer.offset();
      long length = buffer.length();
      if (offset < 0 || length < 0 || offset > bodyLength || length > bodyLength - offset) {
        throw new IpcFormatException(
            where + ": buffer " + i + " [offset " + offset + ", length " + length
                + "] lies outside the " + bodyLength + "-byte body");
      }
    }
    FieldNode node = new FieldNode();
    for (int i = 0; i < batch.nodesLength(); i++) {
      batch.nodes(node, i);
      if (node.length() < 0 || node.nullCount() < 0) {
        throw new IpcFormatException(where + ": field node " + i + " has a negative length or null count");
      }
    }
    for (int i = 0; i < batch.variadicBufferCountsLength(); i++) {
      if (batch.variadicBufferCounts(i) < 0 || batch.variadicBufferCounts(i) > batch.buffersLength()) {
        throw new IpcFormatException(where + ": variadic buffer count " + i + " is out of range");
      }
    }
    if (batch.compression() != null) {
      byte codec = batch.compression().codec();
      if (codec != CompressionType.LZ4_FRAME && codec != CompressionType.ZSTD) {
        throw new IpcFormatException(where + ": unknown compression codec " + codec);
      }
      batch.compression().method();
    }
  }

  /** Whether the batch's buffers are compressed (already validated by {@link #recordBatch}). */
  static boolean isCompressed(RecordBatch batch, String where) throws IpcFormatException {
    try {
      return batch.compression() != null;
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable compression field (" + e + ")", e);
    }
  }

  /** The batch's row count (already validated by {@link #recordBatch}). */
  static long rowCount(RecordBatch batch, String where) throws IpcFormatException {
    try {
      return batch.length();
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable row count (" + e + ")", e);
    }
  }
}
