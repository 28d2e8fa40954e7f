package dev.quiver.server.upload;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Swaps two directories in one step with Linux's {@code renameat2(RENAME_EXCHANGE)}, called through
 * the FFM API. Java's {@code Files.move} cannot replace a non-empty directory, and replacing one
 * multi-part dataset by another would otherwise need two renames, between which the dataset would
 * be missing. Where the call is unavailable (not Linux, an old C library, a filesystem without
 * support) {@link #exchange} says so and the caller falls back to the two renames.
 */
final class DirectoryExchange {
  private static final Logger log = LoggerFactory.getLogger(DirectoryExchange.class);
  private static final int AT_FDCWD = -100;
  private static final int RENAME_EXCHANGE = 2;
  private static final Optional<Native> NATIVE = Native.lookup();

  private DirectoryExchange() {}

  /**
   * Atomically exchanges the directory entries {@code a} and {@code b} (both must exist).
   *
   * @return false if this platform cannot; nothing was changed then
   */
  static boolean exchange(Path a, Path b) {
    return NATIVE.map(n -> n.exchange(a, b)).orElse(false);
  }

  private record Native(MethodHandle renameat2, StructLayout callState, VarHandle errno) {
    static Optional<Native> lookup() {
      try {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find("renameat2");
        if (symbol.isEmpty()) {
          return Optional.empty();
        }
        Linker.Option ccs = Linker.Option.captureCallState("errno");
        StructLayout state = Linker.Option.captureStateLayout();
        MethodHandle handle = linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_INT), ccs);
        VarHandle errno = state.varHandle(StructLayout.PathElement.groupElement("errno"));
        return Optional.of(new Native(handle, state, errno));
      } catch (RuntimeException | LinkageError e) {
        // No native access (e.g. denied by the launcher): use the fallback.
        log.debug("renameat2 unavailable: {}", e.toString());
        return Optional.empty();
      }
    }

    boolean exchange(Path a, Path b) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment state = arena.allocate(callState);
        int result = (int) renameat2.invokeExact(state, AT_FDCWD, arena.allocateFrom(a.toString()), AT_FDCWD,
            arena.allocateFrom(b.toString()), RENAME_EXCHANGE);
        if (result != 0) {
          log.debug("renameat2({}, {}, RENAME_EXCHANGE) failed with errno {}", a, b, (int) errno.get(state, 0L));
        }
        return result == 0;
      } catch (Throwable e) {
        log.debug("renameat2 call failed", e);
        return false;
      }
    }
  }
}
