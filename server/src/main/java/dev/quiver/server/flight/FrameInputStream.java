package dev.quiver.server.flight;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.quiver.server.ipc.BodyPiece;
import io.grpc.Drainable;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.impl.Flight;

/**
 * The serialized form of a {@link FlightFrame}: the protobuf encoding of
 * {@code FlightData{data_header = header, data_body = body}}, produced without building the
 * protobuf object. The prefix (field tags, lengths and the small header) is a byte array; the body
 * is appended to gRPC's outgoing buffer chain as a buffer over the mapping ({@link #drainTo}).
 *
 * <p>Deliberately not {@code KnownLength}: for messages of unknown length gRPC drains into its
 * buffer chain, which is what makes the zero-copy append possible. Reading the stream byte by byte
 * (gRPC never does, but an {@link InputStream} must allow it) copies from the mapping instead.
 */
final class FrameInputStream extends InputStream implements Drainable {
  private static final int COPY_CHUNK = 64 * 1024;
  private static final AtomicLong ZERO_COPY_BYTES = new AtomicLong();
  private static final AtomicLong COPIED_BYTES = new AtomicLong();

  private final FlightFrame frame;
  private final byte[] prefix;
  private final long length;
  private long position;

  FrameInputStream(FlightFrame frame) {
    this.frame = frame;
    this.prefix = prefix(frame.header(), frame.bodyLength());
    this.length = prefix.length + frame.bodyLength();
  }

  static byte[] prefix(byte[] header, long bodyLength) {
    int size = CodedOutputStream.computeByteArraySize(Flight.FlightData.DATA_HEADER_FIELD_NUMBER, header);
    if (bodyLength > 0) {
      size += CodedOutputStream.computeTagSize(Flight.FlightData.DATA_BODY_FIELD_NUMBER)
          + CodedOutputStream.computeUInt64SizeNoTag(bodyLength);
    }
    byte[] out = new byte[size];
    CodedOutputStream coded = CodedOutputStream.newInstance(out);
    try {
      coded.writeByteArray(Flight.FlightData.DATA_HEADER_FIELD_NUMBER, header);
      if (bodyLength > 0) {
        coded.writeTag(Flight.FlightData.DATA_BODY_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        coded.writeUInt64NoTag(bodyLength);
      }
      coded.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new IllegalStateException("protobuf prefix size miscomputed", e);
    }
    return out;
  }

  @Override
  public int drainTo(OutputStream target) throws IOException {
    if (position != 0) {
      throw new IllegalStateException("frame already partly read");
    }
    target.write(prefix);
    if (frame.copiedBody() != null) {
      // Already out of the mapping: gRPC gets its own reference to the copy (or its bytes).
      ByteBuf copy = frame.copiedBody();
      if (GrpcBufferChain.accepts(target)) {
        GrpcBufferChain.append(target, copy.retainedDuplicate());
      } else {
        copy.getBytes(copy.readerIndex(), target, copy.readableBytes());
      }
      COPIED_BYTES.addAndGet(frame.bodyLength());
    } else if (frame.bodyLength() > 0) {
      if (GrpcBufferChain.accepts(target)) {
        GrpcBufferChain.append(target, MappedBodyBuf.of(frame));
        ZERO_COPY_BYTES.addAndGet(frame.bodyLength());
      } else {
        copyBody(target);
        COPIED_BYTES.addAndGet(frame.bodyLength());
      }
    }
    position = length;
    return (int) length;
  }

  private void copyBody(OutputStream target) throws IOException {
    byte[] chunk = new byte[(int) Math.min(COPY_CHUNK, frame.bodyLength())];
    for (BodyPiece piece : frame.body()) {
      for (long done = 0; done < piece.length(); ) {
        int n = (int) Math.min(chunk.length, piece.length() - done);
        fill(piece, done, chunk, 0, n);
        target.write(chunk, 0, n);
        done += n;
      }
    }
  }

  private void fill(BodyPiece piece, long offsetInPiece, byte[] dst, int dstOffset, int n) {
    if (piece.isZeros()) {
      Arrays.fill(dst, dstOffset, dstOffset + n, (byte) 0);
    } else {
      MemorySegment.copy(frame.file().segment(), ValueLayout.JAVA_BYTE, piece.fileOffset() + offsetInPiece, dst, dstOffset, n);
    }
  }

  /** Body bytes handed to gRPC as buffers over the mapping, since start. */
  static long zeroCopyBytes() {
    return ZERO_COPY_BYTES.get();
  }

  /** Body bytes copied instead of sent from the mapping (TLS, or gRPC without its buffer chain), since start. */
  static long copiedBytes() {
    return COPIED_BYTES.get();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) == 1 ? one[0] & 0xFF : -1;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (position >= length) {
      return -1;
    }
    int total = 0;
    while (len > 0 && position < length) {
      int n;
      if (position < prefix.length) {
        n = (int) Math.min(len, prefix.length - position);
        System.arraycopy(prefix, (int) position, b, off, n);
      } else if (frame.copiedBody() != null) {
        long bodyPosition = position - prefix.length;
        n = (int) Math.min(len, frame.bodyLength() - bodyPosition);
        ByteBuf copy = frame.copiedBody();
        copy.getBytes(copy.readerIndex() + (int) bodyPosition, b, off, n);
      } else {
        long bodyPosition = position - prefix.length;
        long pieceStart = 0;
        n = 0;
        for (BodyPiece piece : frame.body()) {
          if (bodyPosition < pieceStart + piece.length()) {
            long inPiece = bodyPosition - pieceStart;
            n = (int) Math.min(len, piece.length() - inPiece);
            fill(piece, inPiece, b, off, n);
            break;
          }
          pieceStart += piece.length();
        }
      }
      position += n;
      off += n;
      len -= n;
      total += n;
    }
    return total;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, length - position);
  }
}
