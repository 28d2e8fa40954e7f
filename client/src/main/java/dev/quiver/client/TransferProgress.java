package dev.quiver.client;

/**
 * How far a transfer got: IPC bytes, record batches and rows moved so far, and the totals when
 * known in advance (-1 otherwise; a download knows them from the dataset's {@code FlightInfo}).
 */
public record TransferProgress(long bytes, long batches, long rows, long totalBytes, long totalRows) {
  /** Completed fraction in [0, 1] by bytes, or -1 if the total is unknown. */
  public double fraction() {
    return totalBytes <= 0 ? -1 : Math.min(1.0, (double) bytes / totalBytes);
  }
}
