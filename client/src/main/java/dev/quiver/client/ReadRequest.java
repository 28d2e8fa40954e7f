package dev.quiver.client;

import dev.quiver.protocol.BatchRange;
import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.DatasetTicket;
import java.util.List;
import java.util.Objects;

/**
 * What to read of a dataset: all of it, or some columns (in the order given) and/or a half-open
 * range of its record batches. Immutable; build with {@link #of} and the {@code with...} methods.
 */
public final class ReadRequest {
  private final String dataset;
  private final List<String> columns;
  private final BatchRange batches;

  private ReadRequest(String dataset, List<String> columns, BatchRange batches) {
    this.dataset = Objects.requireNonNull(dataset, "dataset");
    this.columns = columns == null ? null : List.copyOf(columns);
    this.batches = batches;
  }

  /** The whole dataset {@code dataset} ({@code "sales/2024"}). */
  public static ReadRequest of(String dataset) {
    return new ReadRequest(dataset, null, null);
  }

  /** Only these columns, in this order. */
  public ReadRequest withColumns(List<String> columns) {
    return new ReadRequest(dataset, Objects.requireNonNull(columns, "columns"), batches);
  }

  /** Only these columns, in this order. */
  public ReadRequest withColumns(String... columns) {
    return withColumns(List.of(columns));
  }

  /** Only record batches {@code start} (inclusive) to {@code end} (exclusive). */
  public ReadRequest withBatches(int start, int end) {
    return new ReadRequest(dataset, columns, new BatchRange(start, end));
  }

  public String dataset() {
    return dataset;
  }

  /** The ticket a DoGet sends for this request. */
  public DatasetTicket toTicket() {
    return new DatasetTicket(DatasetName.parse(dataset), columns, batches);
  }

  @Override
  public String toString() {
    return toTicket().toJson();
  }
}
