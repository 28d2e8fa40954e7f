package dev.quiver.server.ipc;

/**
 * One record batch or dictionary batch of an indexed file: its flatbuffer {@code Message} header
 * (a small heap copy, sent as Flight's {@code data_header}) and where its body lies in the file
 * (sent from the mapping as {@code data_body}).
 *
 * @param header       the flatbuffer Message, without the IPC length prefix
 * @param bodyOffset   absolute offset of the body in the file
 * @param bodyLength   length of the body in bytes, as the header declares it
 * @param rows         rows of a record batch, or of a dictionary batch's values
 * @param dictionaryId the dictionary id of a dictionary batch; -1 for a record batch
 * @param delta        whether a dictionary batch appends to (rather than replaces) its dictionary
 * @param part         which file of a multi-part dataset holds the body (0 for single files)
 */
public record IpcMessage(
    Kind kind, byte[] header, long bodyOffset, long bodyLength, long rows, long dictionaryId, boolean delta,
    int part) {

  public enum Kind { RECORD_BATCH, DICTIONARY_BATCH }

  static IpcMessage recordBatch(byte[] header, long bodyOffset, long bodyLength, long rows) {
    return new IpcMessage(Kind.RECORD_BATCH, header, bodyOffset, bodyLength, rows, -1, false, 0);
  }

  static IpcMessage dictionaryBatch(
      byte[] header, long bodyOffset, long bodyLength, long rows, long id, boolean delta) {
    return new IpcMessage(Kind.DICTIONARY_BATCH, header, bodyOffset, bodyLength, rows, id, delta, 0);
  }

  /** This message as the {@code part}-th file of a multi-part dataset holds it. */
  IpcMessage inPart(int part) {
    return new IpcMessage(kind, header, bodyOffset, bodyLength, rows, dictionaryId, delta, part);
  }

  public boolean isRecordBatch() {
    return kind == Kind.RECORD_BATCH;
  }

  /** Bytes this message takes on the wire: header plus body. */
  public long wireBytes() {
    return header.length + bodyLength;
  }
}
