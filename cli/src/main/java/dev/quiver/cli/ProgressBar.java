package dev.quiver.cli;

import dev.quiver.client.ProgressListener;
import dev.quiver.client.TransferProgress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress display on stderr, redrawn in place with a carriage return: percentage and
 * bar when the total is known, bytes moved and the average rate. Redraws at most ten times a
 * second, since the client reports every record batch (possibly thousands a second, from several
 * threads at once for a parallel download). {@link #close()} erases the line, so the summary
 * that follows starts on a clean line.
 */
class ProgressBar implements ProgressListener, AutoCloseable {
  /** Shows nothing: for --no-progress and non-interactive runs. */
  static final ProgressBar NONE = new ProgressBar(null) {
    @Override
    public void onProgress(TransferProgress progress) {}

    @Override
    public void close() {}
  };

  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int BAR_WIDTH = 24;

  private final PrintStream err;
  private final long start = System.nanoTime();
  private long lastDraw = Long.MIN_VALUE;
  private int lastWidth;
  private boolean closed;

  ProgressBar(PrintStream err) {
    this.err = err;
  }

  @Override
  public synchronized void onProgress(TransferProgress progress) {
    long now = System.nanoTime();
    if (closed || !complete(progress) && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) {
      return;
    }
    lastDraw = now;
    String line = line(progress, (now - start) / 1e9);
    // Blank out what is left of a longer previous line.
    err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
    err.flush();
    lastWidth = line.length();
  }

  static String line(TransferProgress progress, double seconds) {
    StringBuilder line = new StringBuilder();
    // A download's running byte count is not exact (each endpoint repeats the schema and the
    // dictionaries in force) until the library's completion report, so a transfer with all its
    // rows is shown complete whatever the bytes say.
    double fraction = progress.totalBytes() > 0 && complete(progress) ? 1.0 : progress.fraction();
    if (fraction >= 0) {
      int filled = (int) Math.round(fraction * BAR_WIDTH);
      line.append(String.format(Locale.ROOT, "%3d%% [", (int) Math.floor(fraction * 100)))
          .append("#".repeat(filled)).append(" ".repeat(BAR_WIDTH - filled)).append("] ")
          .append(Format.bytes(progress.bytes())).append(" / ").append(Format.bytes(progress.totalBytes()));
    } else {
      line.append(Format.bytes(progress.bytes()));
    }
    line.append("  ").append(Format.plural(progress.batches(), "batch", "batches"));
    String rate = Format.rate(progress.bytes(), seconds);
    if (!rate.isEmpty()) {
      line.append("  ").append(rate);
    }
    return line.toString();
  }

  /** Whether every byte or every row has moved (when the totals are known): the last state, always drawn. */
  private static boolean complete(TransferProgress progress) {
    return progress.totalBytes() > 0 && progress.bytes() >= progress.totalBytes()
        || progress.totalRows() > 0 && progress.rows() >= progress.totalRows();
  }

  /** Erases the progress line. */
  @Override
  public synchronized void close() {
    closed = true; // a report arriving late must not redraw over what follows
    if (lastWidth > 0) {
      err.print("\r" + " ".repeat(lastWidth) + "\r");
      err.flush();
      lastWidth = 0;
    }
  }
}
