package dev.quiver.server.flight;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import org.apache.arrow.flight.impl.Flight;

/**
 * Parses incoming {@code FlightData} (DoPut) so that a record batch body is copied once, from
 * gRPC's network buffers into a direct buffer, instead of into a fresh heap array (and then, by
 * the JDK, into a direct buffer again for the file write). The direct buffer belongs to the thread
 * and is reused for its next message: gRPC parses a message and hands it to the call's observer on
 * the same thread, and {@code UploadSession} has written the body before {@code onNext} returns, so
 * nothing refers to the buffer when it is refilled.
 */
final class FlightDataParser implements MethodDescriptor.Marshaller<Flight.FlightData> {
  /** Bodies larger than this get a buffer of their own rather than growing the thread's. */
  private static final int MAX_POOLED = 64 << 20;
  private static final ThreadLocal<ByteBuffer> BUFFERS = new ThreadLocal<>();

  @Override
  public InputStream stream(Flight.FlightData message) {
    return message.toByteString().newInput();
  }

  @Override
  public Flight.FlightData parse(InputStream in) {
    try {
      Flight.FlightData.Builder data = Flight.FlightData.newBuilder();
      int tag;
      while ((tag = readTag(in)) != 0) {
        int field = tag >>> 3;
        int wireType = tag & 7;
        if (wireType != 2) {
          skip(in, wireType);
          continue;
        }
        int length = readLength(in);
        switch (field) {
          case Flight.FlightData.FLIGHT_DESCRIPTOR_FIELD_NUMBER ->
              data.setFlightDescriptor(Flight.FlightDescriptor.parseFrom(readBytes(in, length)));
          case Flight.FlightData.DATA_HEADER_FIELD_NUMBER ->
              data.setDataHeader(UnsafeByteOperations.unsafeWrap(readBytes(in, length)));
          case Flight.FlightData.APP_METADATA_FIELD_NUMBER ->
              data.setAppMetadata(UnsafeByteOperations.unsafeWrap(readBytes(in, length)));
          case Flight.FlightData.DATA_BODY_FIELD_NUMBER -> data.setDataBody(readBody(in, length));
          default -> skipBytes(in, length);
        }
      }
      return data.build();
    } catch (IOException e) {
      throw Status.INVALID_ARGUMENT.withDescription("malformed FlightData message: " + e.getMessage())
          .withCause(e).asRuntimeException();
    }
  }

  private static ByteString readBody(InputStream in, int length) throws IOException {
    // The length is the client's claim; the buffer is allocated before any body byte is read. gRPC
    // hands over each received message as a stream that knows its length, so a claim beyond what
    // arrived is refused here: otherwise a few bytes claiming 2 GiB reserve 2 GiB of direct memory
    // (an OutOfMemoryError, found by fuzzing: FlightDataParserFuzzTest).
    if (in instanceof KnownLength) {
      if (length > in.available()) {
        throw new EOFException("body of " + length + " bytes declared, but the message holds only "
            + in.available() + " more");
      }
    } else if (length > MAX_POOLED) {
      // A message gRPC decompressed does not know its length: read a large body in steps, so that
      // memory follows the bytes that really arrive (one copy more, for such messages only).
      return UnsafeByteOperations.unsafeWrap(readBytes(in, length));
    }
    ByteBuffer buffer;
    if (length > MAX_POOLED) {
      buffer = ByteBuffer.allocateDirect(length);
    } else {
      buffer = BUFFERS.get();
      if (buffer == null || buffer.capacity() < length) {
        buffer = ByteBuffer.allocateDirect(Math.max(length, 1 << 20));
        BUFFERS.set(buffer);
      }
      buffer.clear().limit(length);
    }
    if (in instanceof HasByteBuffer source && source.byteBufferSupported()) {
      while (buffer.hasRemaining()) {
        ByteBuffer chunk = source.getByteBuffer();
        if (chunk == null) {
          break;
        }
        int n = Math.min(chunk.remaining(), buffer.remaining());
        buffer.put(chunk.limit(chunk.position() + n));
        in.skip(n);
      }
    }
    byte[] scratch = null;
    while (buffer.hasRemaining()) {
      if (scratch == null) {
        scratch = new byte[64 << 10];
      }
      int n = in.read(scratch, 0, Math.min(scratch.length, buffer.remaining()));
      if (n < 0) {
        throw new EOFException("body ends " + buffer.remaining() + " bytes early");
      }
      buffer.put(scratch, 0, n);
    }
    buffer.flip();
    return UnsafeByteOperations.unsafeWrap(buffer);
  }

  private static int readTag(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      return 0;
    }
    return (int) readVarint(in, first);
  }

  private static int readLength(InputStream in) throws IOException {
    int first = in.read();
    if (first < 0) {
      throw new EOFException("truncated length");
    }
    long length = readVarint(in, first);
    if (length < 0 || length > Integer.MAX_VALUE) {
      throw new IOException("field length " + length + " out of range");
    }
    return (int) length;
  }

  private static long readVarint(InputStream in, int first) throws IOException {
    long value = first & 0x7F;
    int shift = 7;
    int b = first;
    while ((b & 0x80) != 0) {
      if (shift > 63) {
        throw new IOException("varint too long");
      }
      b = in.read();
      if (b < 0) {
        throw new EOFException("truncated varint");
      }
      value |= (long) (b & 0x7F) << shift;
      shift += 7;
    }
    return value;
  }

  private static byte[] readBytes(InputStream in, int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length != length) {
      throw new EOFException("field ends " + (length - bytes.length) + " bytes early");
    }
    return bytes;
  }

  private static void skip(InputStream in, int wireType) throws IOException {
    switch (wireType) {
      case 0 -> readVarint(in, in.read());
      case 1 -> skipBytes(in, 8);
      case 5 -> skipBytes(in, 4);
      default -> throw new IOException("unsupported wire type " + wireType);
    }
  }

  private static void skipBytes(InputStream in, long n) throws IOException {
    if (in.skip(n) != n) {
      throw new EOFException("message ends early");
    }
  }
}
