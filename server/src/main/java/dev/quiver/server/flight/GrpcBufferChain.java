package dev.quiver.server.flight;

import io.netty.buffer.ByteBuf;
import java.io.OutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place Quiver reaches into gRPC internals, to hand gRPC a buffer instead of bytes.
 *
 * <p>gRPC serializes a message of unknown length into a {@code MessageFramer.BufferChainOutputStream},
 * which keeps a list of Netty-backed {@code WritableBuffer}s and sends them in order. Appending our
 * own buffer (wrapped in grpc-netty's {@code NettyWritableBuffer}) to that list makes gRPC send the
 * mapped file's pages directly, with no copy; gRPC releases the buffer after the socket write. There
 * is no public API for this (arrow-java's zero-copy Flight write path relies on the same list), so
 * if gRPC's internals ever change shape the lookups below fail once, we log it, and every frame falls
 * back to copying through the stream: slower, never wrong.
 */
final class GrpcBufferChain {
  private static final Logger log = LoggerFactory.getLogger(GrpcBufferChain.class);
  private static final Class<?> CHAIN;
  private static final Field BUFFER_LIST;
  private static final Field CURRENT;
  private static final Constructor<?> NETTY_WRITABLE_BUFFER;

  static {
    Class<?> chain = null;
    Field bufferList = null;
    Field current = null;
    Constructor<?> writable = null;
    try {
      chain = Class.forName("io.grpc.internal.MessageFramer$BufferChainOutputStream");
      bufferList = chain.getDeclaredField("bufferList");
      current = chain.getDeclaredField("current");
      writable = Class.forName("io.grpc.netty.NettyWritableBuffer").getDeclaredConstructor(ByteBuf.class);
      bufferList.setAccessible(true);
      current.setAccessible(true);
      writable.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("zero-copy sends are unavailable with this gRPC version; record batch bodies will be copied ({})", e.toString());
      chain = null;
    }
    CHAIN = chain;
    BUFFER_LIST = bufferList;
    CURRENT = current;
    NETTY_WRITABLE_BUFFER = writable;
  }

  private GrpcBufferChain() {}

  /** True if the JVM's gRPC has the shape this class expects. */
  static boolean available() {
    return CHAIN != null;
  }

  /** True if {@code target} is gRPC's buffer chain, so {@link #append} will work on it. */
  static boolean accepts(OutputStream target) {
    return CHAIN != null && target.getClass() == CHAIN;
  }

  /**
   * Appends {@code buf} after everything already written to {@code target}. Takes ownership of
   * {@code buf}: gRPC releases it after sending, or this method releases it if it fails.
   */
  @SuppressWarnings("unchecked")
  static void append(OutputStream target, ByteBuf buf) {
    try {
      List<Object> buffers = (List<Object>) BUFFER_LIST.get(target);
      Object writable = NETTY_WRITABLE_BUFFER.newInstance(buf);
      // Later writes must go to a new buffer after ours, not into the one before it.
      CURRENT.set(target, null);
      buffers.add(writable); // from here on gRPC owns buf
    } catch (ReflectiveOperationException | RuntimeException e) {
      buf.release();
      throw new IllegalStateException("could not hand a buffer to gRPC", e);
    }
  }
}
