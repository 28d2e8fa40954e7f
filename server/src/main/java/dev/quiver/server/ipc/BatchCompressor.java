package dev.quiver.server.ipc;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.CompressionType;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * Compresses the buffers of an uncompressed record batch one by one (LZ4 frame or ZSTD, as the IPC
 * format's buffer compression defines), rewriting its header to match. Used for uploads that ask
 * for compression on write. Works in the caller's allocator: every Arrow buffer it takes is given
 * back before a method returns.
 */
public final class BatchCompressor {
  private final BufferAllocator allocator;
  private final CompressionCodec codec;
  private final byte codecType;

  public BatchCompressor(BufferAllocator allocator, boolean zstd) {
    this.allocator = allocator;
    this.codec = CommonsCompressionFactory.INSTANCE.createCodec(
        zstd ? CompressionUtil.CodecType.ZSTD : CompressionUtil.CodecType.LZ4_FRAME);
    this.codecType = zstd ? CompressionType.ZSTD : CompressionType.LZ4_FRAME;
  }

  /** A compressed record batch: new header and body. */
  public record Compressed(byte[] header, List<ByteBuffer> body, long bodyLength) {}

  /**
   * Compresses {@code body} (the record batch's buffers at the offsets {@code header} gives).
   * The header must already have been checked ({@link MessageValidator}).
   */
  public Compressed compress(byte[] header, ByteBuffer body, String where) throws IpcFormatException {
    Message message = MessageReader.parse(header, where);
    RecordBatch rb = MessageReader.recordBatch(message, header.length, where);
    List<long[]> nodes = new ArrayList<>();
    FieldNode node = new FieldNode();
    for (int i = 0; i < rb.nodesLength(); i++) {
      rb.nodes(node, i);
      nodes.add(new long[] {node.length(), node.nullCount()});
    }
    List<Long> variadics = new ArrayList<>();
    for (int i = 0; i < rb.variadicBufferCountsLength(); i++) {
      variadics.add(rb.variadicBufferCounts(i));
    }
    List<long[]> buffers = new ArrayList<>();
    List<ByteBuffer> out = new ArrayList<>();
    long cursor = 0;
    Buffer buffer = new Buffer();
    for (int i = 0; i < rb.buffersLength(); i++) {
      rb.buffers(buffer, i);
      ByteBuffer compressed = compressOne(body, buffer.offset(), buffer.length());
      buffers.add(new long[] {cursor, compressed.remaining()});
      out.add(compressed);
      cursor += compressed.remaining();
      int padding = (int) (((cursor + 7) & ~7L) - cursor);
      if (padding > 0) {
        out.add(ByteBuffer.allocate(padding));
        cursor += padding;
      }
    }
    byte[] newHeader = Projection.header(message, rb, nodes, buffers, variadics, cursor, codecType);
    return new Compressed(newHeader, out, cursor);
  }

  private ByteBuffer compressOne(ByteBuffer body, long offset, long length) {
    if (length == 0) {
      // Empty buffers stay empty: readers take a zero-length buffer as is, while an LZ4 "frame" of
      // nothing (just the length prefix) is rejected by some of them.
      return ByteBuffer.allocate(0);
    }
    ArrowBuf source = allocator.buffer(Math.max(length, 1));
    ByteBuffer slice = body.duplicate();
    slice.position((int) offset).limit((int) (offset + length));
    source.setBytes(0, slice);
    source.writerIndex(length);
    // The codec takes ownership of source, and hands us the compressed buffer to close.
    try (ArrowBuf compressed = codec.compress(allocator, source)) {
      ByteBuffer copy = ByteBuffer.allocate((int) compressed.writerIndex());
      compressed.getBytes(0, copy);
      copy.flip();
      return copy;
    }
  }
}
