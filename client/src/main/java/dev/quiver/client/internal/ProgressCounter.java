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

  /** Counts one record batch and reports. */
  public void addBatch(long batchBytes, long batchRows) {
    TransferProgress now = new TransferProgress(bytes.addAndGet(batchBytes), batches.incrementAndGet(),
        rows.addAndGet(batchRows), totalBytes, totalRows);
    listener.onProgress(now);
  }

  /** Sets the totals from an acknowledgement that reports them, and reports. */
  public void set(long batchCount, long rowCount) {
    batches.set(batchCount);
    rows.set(rowCount);
    listener.onProgress(snapshot());
  }

  public TransferProgress snapshot() {
    return new TransferProgress(bytes.get(), batches.get(), rows.get(), totalBytes, totalRows);
  }
}
