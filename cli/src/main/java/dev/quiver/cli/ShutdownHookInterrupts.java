package dev.quiver.cli;

import dev.quiver.client.Cancellation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C through a JVM shutdown hook: Java offers no supported signal handler, but SIGINT starts
 * the shutdown and runs the hooks first. The hook cancels the running transfers and then waits
 * until the command has finished (the download deleted its partial files, the upload was
 * cancelled on the server, the error line was printed) before letting the JVM exit, with the
 * status 130 the JVM gives a SIGINT shutdown. Lives for one run of the command; {@link #close()}
 * removes the hook, so in-process runs do not pile hooks up.
 */
final class ShutdownHookInterrupts implements Interrupts, AutoCloseable {
  /** How long an interrupted transfer may take to clean up before the JVM exits anyway. */
  private static final long CLEANUP_SECONDS = 10;

  private final List<Cancellation> cancellations = new ArrayList<>();
  private final CountDownLatch finished = new CountDownLatch(1);
  private Thread hook;

  @Override
  public synchronized void cancelOnInterrupt(Cancellation cancellation) {
    cancellations.add(cancellation);
    if (hook == null) {
      hook = new Thread(this::interrupted, "quiver-ctrl-c");
      Runtime.getRuntime().addShutdownHook(hook);
    }
  }

  private void interrupted() {
    List<Cancellation> toCancel;
    synchronized (this) {
      toCancel = List.copyOf(cancellations);
    }
    toCancel.forEach(Cancellation::cancel);
    try {
      finished.await(CLEANUP_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The command has finished: an interrupt no longer has anything to wait for. */
  @Override
  public synchronized void close() {
    finished.countDown();
    if (hook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running (Ctrl-C): it returns now that finished is counted down.
      }
      hook = null;
    }
  }
}
