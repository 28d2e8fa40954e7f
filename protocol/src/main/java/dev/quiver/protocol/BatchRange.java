package dev.quiver.protocol;

/**
 * A half-open range {@code [start, end)} of record batch indexes within a dataset.
 * Written in JSON tickets as {@code "batches": [start, end]}.
 */
public record BatchRange(int start, int end) {
  public BatchRange {
    if (start < 0 || end < start) {
      throw new ProtocolException(
          "invalid batch range [" + start + ", " + end + "): expected 0 <= start <= end");
    }
  }

  public int size() {
    return end - start;
  }

  /** True when every index of this range is below {@code batchCount}. */
  public boolean fitsWithin(int batchCount) {
    return end <= batchCount;
  }

  @Override
  public String toString() {
    return "[" + start + ", " + end + ")";
  }
}
