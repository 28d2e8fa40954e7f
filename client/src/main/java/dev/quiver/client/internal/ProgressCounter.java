package dev.quiver.client.internal;

import dev.quiver.client.ProgressListener;
import dev.quiver.client.TransferProgress;
import java.util.concurrent.atomic.AtomicLong;

/** Totals of one transfer, updated from its threads, reported to its {@link ProgressListener}. Internal. */
public final class ProgressCounter {
  private final ProgressListener listener;
  private final long totalBytes;
  private final long totalRows;
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong rows = new AtomicLong();

  public ProgressCounter(ProgressListener listener, long totalBytes, long totalRows) {
    this.listener = listener;
    this.totalBytes = totalBytes;
    this.totalRows = totalRows;
  }

  /** Counts bytes that carried no batch (schema, dictionaries). */
  public void addBytes(long n) {
    bytes.addAndGet(n);
  }

  /**
   * Counts one record batch and reports. Synchronized so that reports from parallel threads reach
   * the listener in order (never going backwards); it runs once per batch, so the lock is cheap.
   */
  public synchronized void addBatch(long batchBytes, long batchRows) {
    TransferProgress now = new TransferProgress(bytes.addAndGet(batchBytes), batches.incrementAndGet(),
        rows.addAndGet(batchRows), totalBytes, totalRows);
    listener.onProgress(now);
  }

  /**
   * Reports the end of a download: the byte count becomes the size of what was received once
   * (endpoints each repeat the schema, so the running count is not exact), so a total is reached.
   */
  public synchronized void complete(long finalBytes) {
    bytes.set(totalBytes > 0 ? Math.max(totalBytes, bytes.get()) : Math.max(finalBytes, bytes.get()));
    listener.onProgress(snapshot());
  }

  /** Sets the totals from an acknowledgement that reports them, and reports. */
  public synchronized void set(long batchCount, long rowCount) {
    batches.set(batchCount);
    rows.set(rowCount);
    listener.onProgress(snapshot());
  }

  public TransferProgress snapshot() {
    return new TransferProgress(bytes.get(), batches.get(), rows.get(), totalBytes, totalRows);
  }
}
