package dev.quiver.server.ipc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A whole file mapped read-only into memory with the FFM API (no 2 GiB limit), shared by every
 * reader of that file version and unmapped when the last of them lets go.
 *
 * <p>Ownership is by reference count, like a Netty buffer: {@link #map} returns a file with one
 * reference, owned by whoever mapped it (the catalog). Each stream and each network buffer that
 * points into the mapping {@link #retain()}s it and {@link #release()}s it when done. Unmapping
 * while gRPC still holds a buffer into the mapping would make the next socket write read unmapped
 * memory and crash the JVM, which is why nothing but the last release closes the arena.
 *
 * <p>A file truncated in place by another program leaves pages of the mapping with no file behind
 * them: touching one raises SIGBUS. The JVM turns that into an {@link InternalError} in Java code
 * (FFM and {@code Unsafe} accesses), the kernel into EFAULT when a socket write reads them, but
 * native code (OpenSSL) simply dies with the JVM. {@link #truncatedSize()} lets readers look
 * before they hand out more of the mapping (docs/reliability/faults.md).
 */
public final class MappedFile {
  private static final AtomicInteger LIVE_MAPPINGS = new AtomicInteger();
  private static final AtomicLong LIVE_MAPPED_BYTES = new AtomicLong();

  private final Path path;
  private final Object fileKey; // the mapped inode, to tell "truncated in place" from "replaced"
  private final Arena arena;
  private final MemorySegment segment;
  private final AtomicInteger refCount = new AtomicInteger(1);

  private MappedFile(Path path, Object fileKey, Arena arena, MemorySegment segment) {
    this.path = path;
    this.fileKey = fileKey;
    this.arena = arena;
    this.segment = segment;
  }

  /** Maps {@code path} read-only. The caller owns the one reference the result starts with. */
  public static MappedFile map(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size();
      // Read by path after opening: if the path was replaced in between, the catalog's stat before
      // and after mapping disagree and it maps the file again.
      Object fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
      // A shared arena: the segment is read by gRPC's event loop threads, not the thread mapping it.
      Arena arena = Arena.ofShared();
      try {
        MemorySegment segment = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        LIVE_MAPPINGS.incrementAndGet();
        LIVE_MAPPED_BYTES.addAndGet(size);
        return new MappedFile(path, fileKey, arena, segment);
      } catch (IOException | RuntimeException | Error e) {
        arena.close();
        throw e;
      }
    }
  }

  public Path path() {
    return path;
  }

  public long size() {
    return segment.byteSize();
  }

  /** The whole mapping. Valid only while the caller holds a reference. */
  public MemorySegment segment() {
    return segment;
  }

  /**
   * A direct {@link ByteBuffer} over {@code [offset, offset + length)} of the mapping, without
   * copying. Valid only while the caller holds a reference.
   */
  public ByteBuffer byteBuffer(long offset, int length) {
    return segment.asSlice(offset, length).asByteBuffer();
  }

  /**
   * The file's current size if another program truncated it below the mapping (in place: same
   * inode), else empty. A file replaced by rename or deleted is not truncated: the mapped inode
   * lives on as it was. One {@code stat}; without inode numbers (not Linux) nothing can be told.
   */
  public OptionalLong truncatedSize() {
    if (fileKey == null) {
      return OptionalLong.empty();
    }
    BasicFileAttributes now;
    try {
      now = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (IOException e) {
      return OptionalLong.empty(); // deleted (or unreadable): the mapped inode is unchanged
    }
    if (!Objects.equals(now.fileKey(), fileKey) || now.size() >= size()) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(now.size());
  }

  /** Takes one more reference; fails if the file has already been unmapped. */
  public MappedFile retain() {
    if (!tryRetain()) {
      throw new IllegalStateException("mapping of " + path + " is already released");
    }
    return this;
  }

  /** Takes one more reference unless the last one is already gone (then returns false). */
  public boolean tryRetain() {
    for (;;) {
      int count = refCount.get();
      if (count <= 0) {
        return false;
      }
      if (refCount.compareAndSet(count, count + 1)) {
        return true;
      }
    }
  }

  /** Gives back one reference; the last one unmaps the file. */
  public void release() {
    int count = refCount.decrementAndGet();
    if (count == 0) {
      long size = segment.byteSize();
      arena.close();
      LIVE_MAPPINGS.decrementAndGet();
      LIVE_MAPPED_BYTES.addAndGet(-size);
    } else if (count < 0) {
      refCount.incrementAndGet();
      throw new IllegalStateException("mapping of " + path + " released more times than retained");
    }
  }

  public int refCount() {
    return refCount.get();
  }

  /** Mappings alive in this process; tests use it to prove every stream let go of its file. */
  public static int liveMappings() {
    return LIVE_MAPPINGS.get();
  }

  /** Bytes of files mapped in this process (address space, not memory: pages come from the page cache). */
  public static long liveMappedBytes() {
    return LIVE_MAPPED_BYTES.get();
  }

  @Override
  public String toString() {
    return "MappedFile[" + path + ", " + size() + " bytes, refs=" + refCount.get() + "]";
  }
}
