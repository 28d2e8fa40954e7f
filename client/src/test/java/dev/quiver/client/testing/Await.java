package dev.quiver.client.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls for state that settles asynchronously (a cancelled call, a released buffer), with a deadline. */
public final class Await {
  private Await() {}

  /** Returns once {@code condition} holds; fails after 10 s saying what was awaited. */
  public static void until(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what, e);
      }
    }
  }
}
