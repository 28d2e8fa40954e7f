package dev.quiver.client.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

/**
 * What the client needs to know of one IPC message's flatbuffer header to store or send it
 * without decoding its body: its kind, rows, dictionary id and delta flag. Internal.
 */
public record IpcMessage(Kind kind, long rows, long dictionaryId, boolean delta, long bodyLength) {
  public enum Kind { SCHEMA, DICTIONARY_BATCH, RECORD_BATCH }

  /** IPC messages start with this marker, then the header length. */
  public static final int CONTINUATION = 0xFFFFFFFF;

  /**
   * Reads {@code header} (the flatbuffer, without the length prefix).
   *
   * @throws IllegalArgumentException if it is not a schema, dictionary or record batch message
   */
  public static IpcMessage of(ByteBuffer header) {
    Message message;
    try {
      message = Message.getRootAsMessage(header.duplicate().order(ByteOrder.LITTLE_ENDIAN));
      switch (message.headerType()) {
        case MessageHeader.Schema:
          return new IpcMessage(Kind.SCHEMA, 0, -1, false, message.bodyLength());
        case MessageHeader.DictionaryBatch: {
          DictionaryBatch dictionary = (DictionaryBatch) message.header(new DictionaryBatch());
          return new IpcMessage(Kind.DICTIONARY_BATCH, dictionary.data().length(), dictionary.id(),
              dictionary.isDelta(), message.bodyLength());
        }
        case MessageHeader.RecordBatch: {
          RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
          return new IpcMessage(Kind.RECORD_BATCH, batch.length(), -1, false, message.bodyLength());
        }
        default:
          throw new IllegalArgumentException("unexpected IPC message type " + message.headerType());
      }
    } catch (IndexOutOfBoundsException | NullPointerException e) {
      throw new IllegalArgumentException("unreadable IPC message header", e);
    }
  }

  /**
   * The prefix written before a header in files and streams: continuation marker and the length of
   * the header padded so the body starts 8-byte aligned, then the header and its padding.
   */
  public static ByteBuffer framed(ByteBuffer header) {
    int metadata = align8(8 + header.remaining());
    ByteBuffer out = ByteBuffer.allocate(metadata).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(CONTINUATION).putInt(metadata - 8).put(header.duplicate());
    out.position(metadata).flip();
    return out;
  }

  public static int align8(int n) {
    return (n + 7) & ~7;
  }

  public static long align8(long n) {
    return (n + 7) & ~7L;
  }
}
