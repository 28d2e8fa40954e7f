package dev.quiver.cli;

import dev.quiver.client.Cancellation;
import dev.quiver.client.ProgressListener;
import dev.quiver.client.QuiverClient;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.ParentCommand;

/**
 * What every {@code quiver} subcommand shares: the global options and session from the top-level
 * command, a client built from them, and the choice between human and JSON output. A subcommand
 * only runs its call and prints; failures are left to {@link ErrorHandler}.
 */
abstract class QuiverCommand implements Callable<Integer> {
  @ParentCommand
  Main main;

  @Override
  public final Integer call() throws Exception {
    try (QuiverClient client = main.global.connect(main.session())) {
      run(client);
    }
    return ExitCodes.OK;
  }

  /** Runs the command against the server; throws to fail. */
  abstract void run(QuiverClient client) throws Exception;

  final Session session() {
    return main.session();
  }

  final PrintStream out() {
    return main.session().out();
  }

  final boolean json() {
    return main.global.json;
  }

  /** What a transfer returned, and how long it took. */
  record Timed<T>(T result, double seconds) {}

  /** A transfer given its cancellation (Ctrl-C) and progress listener (the bar). */
  interface Transfer<T> {
    T run(Cancellation cancellation, ProgressListener progress);
  }

  /** Runs a transfer with Ctrl-C cancelling it and, unless switched off, a progress bar drawing it. */
  final <T> Timed<T> transfer(ProgressOptions progress, Transfer<T> transfer) {
    Cancellation cancellation = new Cancellation();
    session().interrupts().cancelOnInterrupt(cancellation);
    long start = System.nanoTime();
    T result;
    try (ProgressBar bar = progress.bar(session(), json())) {
      result = transfer.run(cancellation, bar);
    }
    return new Timed<>(result, (System.nanoTime() - start) / 1e9);
  }
}
