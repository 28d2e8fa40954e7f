package dev.quiver.cli;

import dev.quiver.client.Cancellation;

/**
 * How a transfer hears that the user pressed Ctrl-C. The real one ({@link ShutdownHookInterrupts})
 * reacts to the JVM shutting down; tests substitute one that cancels on demand.
 */
interface Interrupts {
  /** Cancels {@code cancellation} if the command is interrupted while it runs. */
  void cancelOnInterrupt(Cancellation cancellation);
}
