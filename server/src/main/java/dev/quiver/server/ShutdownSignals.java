package dev.quiver.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT start a graceful shutdown of the server ({@link QuiverServer#close()}: health
 * NOT_SERVING, drain, release) on a thread of its own; {@code Main} then returns and the process
 * exits 0, which is what an orchestrator stopping a healthy server expects. A JVM shutdown hook
 * covers the other ways out (System.exit, a second signal after the first).
 */
final class ShutdownSignals {
  private static final Logger log = LoggerFactory.getLogger(ShutdownSignals.class);

  private ShutdownSignals() {}

  static void install(QuiverServer server) {
    Runnable close = () -> {
      try {
        server.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), signal -> {
          log.info("SIG{} received: draining calls, then stopping", name);
          Thread thread = new Thread(close, "quiver-shutdown");
          thread.setDaemon(false);
          thread.start();
        });
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        log.debug("cannot handle SIG{} here: {}", name, e.toString());
      }
    }
    Runtime.getRuntime().addShutdownHook(new Thread(close, "quiver-shutdown-hook"));
  }
}
