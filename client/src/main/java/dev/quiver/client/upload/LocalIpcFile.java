package dev.quiver.client.upload;

import dev.quiver.client.ipc.IpcMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A local Arrow IPC file (file or stream format, told apart by the magic) read as its raw messages:
 * each message's header and a read-only buffer over its body in a memory mapping of the file, so an
 * upload sends the bytes without reading them into the heap. Files above 2 GiB are mapped in
 * windows. Owns its file channel; the mappings go with the last buffer over them.
 */
final class LocalIpcFile implements AutoCloseable {
  private static final byte[] MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};
  private static final long WINDOW = 256L << 20;

  /** One message: its flatbuffer header and body, and the file offset just after it. */
  record Message(ByteBuffer header, ByteBuffer body, IpcMessage info, long end) {}

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private MappedByteBuffer window;
  private long windowStart;

  private LocalIpcFile(Path path, FileChannel channel) throws IOException {
    this.path = path;
    this.channel = channel;
    this.size = channel.size();
  }

  static LocalIpcFile open(Path path) throws IOException {
    return new LocalIpcFile(path, FileChannel.open(path, StandardOpenOption.READ));
  }

  /**
   * Every message in the order a stream reader wants them: the schema, then (file format: the
   * footer's dictionaries, then its record batches; stream format: as stored).
   *
   * @throws IOException if the file is not Arrow IPC or is damaged, saying where
   */
  List<Message> messages() throws IOException {
    if (size >= 8 && startsWithMagic(0)) {
      return fileMessages();
    }
    List<Message> out = new ArrayList<>();
    long offset = 0;
    while (offset < size) {
      Message message = messageAt(offset);
      if (message == null) {
        break; // end-of-stream marker
      }
      out.add(message);
      offset = message.end();
    }
    if (out.isEmpty() || out.get(0).info().kind() != IpcMessage.Kind.SCHEMA) {
      throw damaged("it does not start with a schema message");
    }
    return out;
  }

  private List<Message> fileMessages() throws IOException {
    if (size < 8 + 10 || !startsWithMagic(size - 6)) {
      throw damaged("it starts like an IPC file but does not end with the magic (truncated?)");
    }
    int footerLength = map(size - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    if (footerLength <= 0 || footerLength > size - 18) {
      throw damaged("its footer length " + footerLength + " is impossible");
    }
    Footer footer = Footer.getRootAsFooter(map(size - 10 - footerLength, footerLength).order(ByteOrder.LITTLE_ENDIAN));
    List<Message> out = new ArrayList<>();
    // The schema comes from the footer, which every reader of the file format uses: some writers
    // (polars) put something else than a standard schema message after the leading magic.
    ByteBuffer schemaHeader;
    try {
      schemaHeader = MessageSerializer.serializeMetadata(Schema.convertSchema(footer.schema()));
    } catch (RuntimeException e) {
      throw damaged("its footer's schema is unreadable: " + e);
    }
    out.add(new Message(schemaHeader, ByteBuffer.allocate(0), IpcMessage.of(schemaHeader), 8));
    Block block = new Block();
    for (int i = 0; i < footer.dictionariesLength(); i++) {
      out.add(messageAt(footer.dictionaries(block, i).offset()));
    }
    for (int i = 0; i < footer.recordBatchesLength(); i++) {
      out.add(messageAt(footer.recordBatches(block, i).offset()));
    }
    return out;
  }

  /** The message at {@code offset}, or null at an end-of-stream marker. */
  private Message messageAt(long offset) throws IOException {
    // Pre-0.15 streams have no continuation marker: a 4-byte length, and a 4-byte end-of-stream marker.
    if (offset < 0 || offset + 4 > size) {
      throw damaged("a message at byte " + offset + " lies outside the file");
    }
    int first = map(offset, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    long headerStart = offset + 4;
    int length = first;
    if (first == IpcMessage.CONTINUATION) {
      if (offset + 8 > size) {
        throw damaged("a message at byte " + offset + " lies outside the file");
      }
      length = map(offset + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
      headerStart = offset + 8;
    }
    if (length == 0) {
      return null;
    }
    if (length < 0 || headerStart + length > size) {
      throw damaged("the message at byte " + offset + " declares a header of " + length + " bytes");
    }
    ByteBuffer header = map(headerStart, length);
    IpcMessage info;
    try {
      info = IpcMessage.of(header);
    } catch (IllegalArgumentException e) {
      throw damaged("the message at byte " + offset + " is unreadable: " + e.getMessage());
    }
    long bodyStart = headerStart + length;
    if (info.bodyLength() < 0 || bodyStart + info.bodyLength() > size || info.bodyLength() > Integer.MAX_VALUE - 8) {
      throw damaged("the message at byte " + offset + " declares a body of " + info.bodyLength() + " bytes");
    }
    return new Message(header, map(bodyStart, (int) info.bodyLength()), info, bodyStart + info.bodyLength());
  }

  /** A read-only buffer over bytes {@code [offset, offset + length)}, from the current window if it holds them. */
  private ByteBuffer map(long offset, int length) throws IOException {
    if (window == null || offset < windowStart || offset + length > windowStart + window.capacity()) {
      long start = offset;
      long span = Math.max(length, Math.min(WINDOW, size - start));
      window = channel.map(FileChannel.MapMode.READ_ONLY, start, span);
      windowStart = start;
    }
    int at = (int) (offset - windowStart);
    return window.duplicate().position(at).limit(at + length).slice();
  }

  private boolean startsWithMagic(long offset) throws IOException {
    ByteBuffer bytes = map(offset, MAGIC.length);
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes.get(i) != MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  private IOException damaged(String why) {
    return new IOException(path + " is not a readable Arrow IPC file: " + why);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
