package dev.quiver.server.flight;

import dev.quiver.server.ipc.BodyPiece;
import dev.quiver.server.ipc.MappedFile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Netty buffer whose bytes are the mapped file itself: each component wraps a slice of the
 * mapping (or a few bytes of shared zero padding), so when Netty writes it to the socket the kernel
 * reads straight from the page cache. Nothing is copied into the heap or into an Arrow allocator.
 *
 * <p>It holds one reference to the {@link MappedFile} from creation until Netty releases it after
 * the write (or drops it on cancellation); that reference is what keeps the file mapped while the
 * bytes are still queued in gRPC.
 */
final class MappedBodyBuf extends CompositeByteBuf {
  private static final AtomicLong IN_FLIGHT_BYTES = new AtomicLong();
  private static final int ZERO_BYTES = 64;
  private static final ByteBuf ZEROS =
      Unpooled.unreleasableBuffer(Unpooled.directBuffer(ZERO_BYTES, ZERO_BYTES).writeZero(ZERO_BYTES).asReadOnly());

  private final MappedFile file;
  private final long accounted;

  private MappedBodyBuf(MappedFile file, int components, long bytes) {
    super(ByteBufAllocator.DEFAULT, true, Math.max(2, components));
    this.file = file;
    this.accounted = bytes;
  }

  /** Builds the buffer for a frame's body; the result owns one new reference to the frame's file. */
  static ByteBuf of(FlightFrame frame) {
    MappedFile file = frame.file().retain();
    MappedBodyBuf buf;
    try {
      buf = new MappedBodyBuf(file, frame.body().size(), frame.bodyLength());
    } catch (RuntimeException | Error e) {
      file.release();
      throw e;
    }
    IN_FLIGHT_BYTES.addAndGet(frame.bodyLength());
    try {
      for (BodyPiece piece : frame.body()) {
        if (piece.length() == 0) {
          continue;
        }
        if (piece.isZeros()) {
          for (long left = piece.length(); left > 0; left -= ZERO_BYTES) {
            buf.addComponent(true, ZEROS.slice(0, (int) Math.min(left, ZERO_BYTES)));
          }
        } else {
          buf.addComponent(true, Unpooled.wrappedBuffer(file.byteBuffer(piece.fileOffset(), (int) piece.length())));
        }
      }
      return buf;
    } catch (RuntimeException | Error e) {
      buf.release();
      throw e;
    }
  }

  @Override
  protected void deallocate() {
    try {
      super.deallocate();
    } finally {
      IN_FLIGHT_BYTES.addAndGet(-accounted);
      file.release();
    }
  }

  /** Body bytes handed to gRPC and not yet released by it, over all streams. */
  static long inFlightBytes() {
    return IN_FLIGHT_BYTES.get();
  }
}
