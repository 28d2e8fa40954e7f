package dev.quiver.server.flight;

import dev.quiver.server.ipc.BodyPiece;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Copies a frame's body out of the mapping, in Java, into a Netty direct buffer. DoGet sends copies
 * instead of the mapping itself when TLS is on: the TLS engine (OpenSSL, in native code) would
 * otherwise read the mapped pages, and if another program truncated the file meanwhile, that read
 * raises SIGBUS in native code, which kills the JVM (measured: docs/reliability/faults.md). Read
 * by Java code, the same fault is an {@link InternalError} in the thread that copies, which the
 * stream turns into a status. Encrypting reads every byte anyway; the copy adds a memcpy to it.
 */
final class BodyCopy {
  private BodyCopy() {}

  /** A new buffer holding {@code frame}'s body; the caller owns it. */
  static ByteBuf of(FlightFrame frame) {
    ByteBuf copy = ByteBufAllocator.DEFAULT.directBuffer((int) frame.bodyLength());
    try {
      for (BodyPiece piece : frame.body()) {
        if (piece.isZeros()) {
          copy.writeZero((int) piece.length());
        } else {
          copy.writeBytes(frame.file().byteBuffer(piece.fileOffset(), (int) piece.length()));
        }
      }
      return copy;
    } catch (RuntimeException | Error e) {
      copy.release();
      throw e;
    }
  }
}
