package dev.quiver.server.flight;

import dev.quiver.server.ipc.BodyPiece;
import dev.quiver.server.ipc.MappedFile;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * One {@code FlightData} message as Quiver sends it: a flatbuffer IPC header and a body made of
 * pieces of a mapped file. It does not own a reference to the file: it is handed to gRPC while the
 * stream that made it holds the dataset open, and the network buffer made from it at that moment
 * takes its own reference (see {@link MappedBodyBuf}).
 *
 * <p>{@code copiedBody}, when not null, holds the same body bytes already copied out of the mapping
 * ({@link BodyCopy}); then that copy is sent instead of the mapping, and the frame owns one reference
 * to it until {@link #release()}.
 */
record FlightFrame(byte[] header, MappedFile file, List<BodyPiece> body, long bodyLength, ByteBuf copiedBody) {

  FlightFrame(byte[] header, MappedFile file, List<BodyPiece> body, long bodyLength) {
    this(header, file, body, bodyLength, null);
  }

  /** A message without a body, such as the schema. */
  static FlightFrame headerOnly(byte[] header) {
    return new FlightFrame(header, null, List.of(), 0);
  }

  /** A message whose body is one contiguous range of the file, sent as stored. */
  static FlightFrame ofFileRange(byte[] header, MappedFile file, long offset, long length) {
    return new FlightFrame(header, file, length == 0 ? List.of() : List.of(BodyPiece.ofFile(offset, length)), length);
  }

  /** This frame with its body copied out of the mapping; the result owns the copy. */
  FlightFrame withCopiedBody() {
    return bodyLength == 0 ? this : new FlightFrame(header, file, body, bodyLength, BodyCopy.of(this));
  }

  /** Gives back the copied body, if any (gRPC took its own reference to what it sends). */
  void release() {
    if (copiedBody != null) {
      copiedBody.release();
    }
  }
}
