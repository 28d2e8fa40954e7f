package dev.quiver.server.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.MetadataVersion;

/**
 * Writes an Arrow IPC file-format file from already-serialized messages: the magic, the schema
 * message, each dictionary and record batch message exactly as given (header bytes plus body
 * bytes, no decoding), then the footer that indexes them and the closing magic. Messages start on
 * 8-byte boundaries. The writer owns nothing: its caller owns (and closes) the channel.
 */
public final class IpcFileWriter {
  private static final byte[] MAGIC_AND_PADDING = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
  private static final int CONTINUATION = 0xFFFFFFFF;

  private final FileChannel channel;
  private final IpcSchema schema;
  private final List<long[]> dictionaryBlocks = new ArrayList<>();
  private final List<long[]> batchBlocks = new ArrayList<>();
  private long position;

  /** Writes the magic and the schema message. */
  public IpcFileWriter(FileChannel channel, IpcSchema schema) throws IOException {
    this.channel = channel;
    this.schema = schema;
    write(ByteBuffer.wrap(MAGIC_AND_PADDING));
    writeMessage(schema.messageHeader(), List.of(), 0);
  }

  /** Appends a dictionary batch message; {@code body} buffers are written in order. */
  public void writeDictionary(byte[] header, List<ByteBuffer> body, long bodyLength) throws IOException {
    dictionaryBlocks.add(writeMessage(header, body, bodyLength));
  }

  /** Appends a record batch message; {@code body} buffers are written in order. */
  public void writeBatch(byte[] header, List<ByteBuffer> body, long bodyLength) throws IOException {
    batchBlocks.add(writeMessage(header, body, bodyLength));
  }

  /** Bytes written so far. */
  public long position() {
    return position;
  }

  private long[] writeMessage(byte[] header, List<ByteBuffer> body, long bodyLength) throws IOException {
    padTo8();
    long offset = position;
    // The length prefix covers the flatbuffer and the padding that makes the body start 8-aligned.
    int metadata = align8(8 + header.length);
    ByteBuffer prefix = ByteBuffer.allocate(metadata).order(ByteOrder.LITTLE_ENDIAN);
    prefix.putInt(CONTINUATION).putInt(metadata - 8).put(header);
    prefix.position(metadata).flip();
    write(prefix);
    long written = 0;
    for (ByteBuffer buffer : body) {
      written += buffer.remaining();
      write(buffer.duplicate());
    }
    if (written != bodyLength) {
      throw new IllegalArgumentException("body has " + written + " bytes, header says " + bodyLength);
    }
    return new long[] {offset, metadata, bodyLength};
  }

  /** Writes the footer and closing magic. The file is complete after this returns. */
  public void finish() throws IOException {
    padTo8();
    FlatBufferBuilder b = new FlatBufferBuilder(1024 + 24 * (dictionaryBlocks.size() + batchBlocks.size()));
    int schemaOffset = schema.writeTo(b);
    int dictionaries = blocks(b, dictionaryBlocks, true);
    int batches = blocks(b, batchBlocks, false);
    Footer.startFooter(b);
    Footer.addVersion(b, MetadataVersion.V5);
    Footer.addSchema(b, schemaOffset);
    Footer.addDictionaries(b, dictionaries);
    Footer.addRecordBatches(b, batches);
    b.finish(Footer.endFooter(b));
    byte[] footer = b.sizedByteArray();
    ByteBuffer tail = ByteBuffer.allocate(footer.length + 4 + 6).order(ByteOrder.LITTLE_ENDIAN);
    tail.put(footer).putInt(footer.length).put(MAGIC_AND_PADDING, 0, 6).flip();
    write(tail);
  }

  private static int blocks(FlatBufferBuilder b, List<long[]> blocks, boolean dictionaries) {
    if (dictionaries) {
      Footer.startDictionariesVector(b, blocks.size());
    } else {
      Footer.startRecordBatchesVector(b, blocks.size());
    }
    for (int i = blocks.size() - 1; i >= 0; i--) {
      long[] block = blocks.get(i);
      Block.createBlock(b, block[0], (int) block[1], block[2]);
    }
    return b.endVector();
  }

  private void padTo8() throws IOException {
    int padding = (int) (align8(position) - position);
    if (padding > 0) {
      write(ByteBuffer.allocate(padding));
    }
  }

  private void write(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      position += channel.write(buffer);
    }
  }

  private static int align8(int n) {
    return (n + 7) & ~7;
  }

  private static long align8(long n) {
    return (n + 7) & ~7L;
  }
}
