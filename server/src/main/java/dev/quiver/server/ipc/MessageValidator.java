package dev.quiver.server.ipc;

import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;

/**
 * Checks IPC messages that arrive over the network (DoPut) before they are stored: the header
 * parses, declares the body length that really came with it, keeps every buffer inside that body,
 * and lays out exactly the columns of the stream's schema.
 */
public final class MessageValidator {
  private MessageValidator() {}

  /** What a checked dictionary or record batch message is. */
  public record Checked(IpcMessage.Kind kind, long rows, long dictionaryId, boolean delta, boolean compressed) {}

  /** Parses a schema message header. */
  public static IpcSchema schema(byte[] header) throws IpcFormatException {
    Message message = MessageReader.parse(header, "schema");
    if (message.headerType() != MessageHeader.Schema) {
      throw new IpcFormatException("the first message must be a schema, not a " + MessageHeader.name(message.headerType()));
    }
    return IpcSchema.fromMessage(header);
  }

  /**
   * Checks a dictionary or record batch message against {@code schema}.
   *
   * @param bodyLength the number of body bytes that arrived with the header
   */
  public static Checked check(IpcSchema schema, byte[] header, long bodyLength, String where)
      throws IpcFormatException {
    Message message = MessageReader.parse(header, where);
    if (message.bodyLength() != bodyLength) {
      throw new IpcFormatException(where + ": the header declares a " + message.bodyLength()
          + "-byte body but " + bodyLength + " bytes came with it");
    }
    try {
      switch (message.headerType()) {
        case MessageHeader.RecordBatch -> {
          RecordBatch batch = MessageReader.recordBatch(message, header.length, where);
          ColumnLayout.bufferStarts(schema.layouts(message.version()), batch, where);
          return new Checked(IpcMessage.Kind.RECORD_BATCH, batch.length(), -1, false, batch.compression() != null);
        }
        case MessageHeader.DictionaryBatch -> {
          DictionaryBatch dictionary = MessageReader.dictionaryBatch(message, header.length, where);
          if (!schema.dictionaryIds().contains(dictionary.id())) {
            throw new IpcFormatException(
                where + ": dictionary id " + dictionary.id() + " is not used by any field of the schema");
          }
          return new Checked(IpcMessage.Kind.DICTIONARY_BATCH, dictionary.data().length(), dictionary.id(),
              dictionary.isDelta(), dictionary.data().compression() != null);
        }
        case MessageHeader.Schema -> throw new IpcFormatException(where + ": a stream holds only one schema message");
        default -> throw new IpcFormatException(where + ": unexpected " + MessageHeader.name(message.headerType()) + " message");
      }
    } catch (IpcFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IpcFormatException(where + ": unreadable message header (" + e + ")", e);
    }
  }
}
