package dev.quiver.server.telemetry;

import dev.quiver.server.catalog.Catalog;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * The number of datasets in the catalog, for the {@code quiver_datasets} gauge. Counting walks the
 * data root, so a count is kept for a few seconds ({@link #MAX_AGE_NANOS}) and scrapes in between
 * reuse it.
 * NaN when the catalog cannot be listed (closed, or the data root unreadable).
 */
final class DatasetCount implements Supplier<Number> {
  static final long MAX_AGE_NANOS = 5_000_000_000L;

  private final Catalog catalog;
  private final long maxAgeNanos;
  private long countedAt;
  private double count = Double.NaN;
  private boolean counted;

  DatasetCount(Catalog catalog) {
    this(catalog, MAX_AGE_NANOS);
  }

  DatasetCount(Catalog catalog, long maxAgeNanos) {
    this.catalog = catalog;
    this.maxAgeNanos = maxAgeNanos;
  }

  @Override
  public synchronized Number get() {
    long now = System.nanoTime();
    if (!counted || now - countedAt >= maxAgeNanos) {
      try {
        count = catalog.names().size();
      } catch (IOException | RuntimeException e) {
        count = Double.NaN;
      }
      countedAt = now;
      counted = true;
    }
    return count;
  }
}
