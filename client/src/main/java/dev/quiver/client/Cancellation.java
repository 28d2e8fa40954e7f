package dev.quiver.client;

import java.util.ArrayList;
import java.util.List;

/**
 * Cooperative cancellation of transfers: pass one in the options, call {@link #cancel()} from any
 * thread, and the transfer stops at its next record batch, cancels its calls on the server, cleans
 * up (no partial download file, no stored upload) and throws {@link TransferCancelledException}.
 * One instance may govern several transfers; cancelling is permanent.
 */
public final class Cancellation {
  private final List<Runnable> callbacks = new ArrayList<>();
  private boolean cancelled;

  /** Undoes an {@link #onCancel} registration. */
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  /** Requests cancellation; idempotent. */
  public void cancel() {
    List<Runnable> toRun;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      toRun = List.copyOf(callbacks);
      callbacks.clear();
    }
    toRun.forEach(Runnable::run);
  }

  public synchronized boolean isCancelled() {
    return cancelled;
  }

  /**
   * Runs {@code callback} on cancellation (at once if already cancelled). Transfers use it to
   * cancel in-flight calls; returns a handle that unregisters it.
   */
  public Registration onCancel(Runnable callback) {
    synchronized (this) {
      if (!cancelled) {
        callbacks.add(callback);
        return () -> {
          synchronized (this) {
            callbacks.remove(callback);
          }
        };
      }
    }
    callback.run();
    return () -> { };
  }
}
