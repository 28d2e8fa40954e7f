package dev.quiver.server.ipc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything needed to serve a file without reading it again: its schema, and every dictionary and
 * record batch message in stream order, with headers in hand and bodies located in the file.
 * Immutable, built once per file version by {@link IpcIndexer}.
 */
public final class IpcIndex {
  private final IpcFormat format;
  private final IpcSchema schema;
  private final List<IpcMessage> messages;
  private final int[] batchPositions;
  private final long totalRows;
  private final long totalBytes;
  private final boolean compressed;

  IpcIndex(IpcFormat format, IpcSchema schema, List<IpcMessage> messages, boolean compressed) {
    this.format = format;
    this.schema = schema;
    this.messages = List.copyOf(messages);
    this.compressed = compressed;
    int batches = 0;
    long rows = 0;
    long bytes = schema.messageHeader().length;
    for (IpcMessage m : this.messages) {
      if (m.isRecordBatch()) {
        batches++;
        rows += m.rows();
      }
      bytes += m.wireBytes();
    }
    this.batchPositions = new int[batches];
    int b = 0;
    for (int i = 0; i < this.messages.size(); i++) {
      if (this.messages.get(i).isRecordBatch()) {
        batchPositions[b++] = i;
      }
    }
    this.totalRows = rows;
    this.totalBytes = bytes;
  }

  public IpcFormat format() {
    return format;
  }

  /** The flatbuffer Schema message sent when no projection is asked for: the file's own, as a rule. */
  public byte[] schemaHeader() {
    return schema.messageHeader();
  }

  public IpcSchema schema() {
    return schema;
  }

  public int batchCount() {
    return batchPositions.length;
  }

  public IpcMessage batch(int index) {
    return messages.get(batchPositions[index]);
  }

  public long totalRows() {
    return totalRows;
  }

  /** Header and body bytes of every message, the schema included: what a full DoGet sends. */
  public long totalBytes() {
    return totalBytes;
  }

  /** Whether any batch body is LZ4/ZSTD-compressed (then it is sent compressed, as stored). */
  public boolean compressed() {
    return compressed;
  }

  public List<IpcMessage> messages() {
    return messages;
  }

  /**
   * The messages that make up batches {@code [start, end)}, in the order a stream reader needs them:
   * first the dictionary state in force at batch {@code start} (the last replacement of each
   * dictionary and the deltas after it), then every message from batch {@code start} through batch
   * {@code end - 1}, with the dictionary messages interleaved there. Dictionaries whose id is not in
   * {@code wantedDictionaries} are left out.
   */
  public List<IpcMessage> plan(int start, int end, Set<Long> wantedDictionaries) {
    if (start < 0 || end > batchCount() || start > end) {
      throw new IndexOutOfBoundsException("batches [" + start + ", " + end + ") of " + batchCount());
    }
    int firstPosition = start < batchCount() ? batchPositions[start] : messages.size();
    int lastPosition = end > start ? batchPositions[end - 1] : firstPosition - 1;

    Map<Long, List<IpcMessage>> dictionaryState = new HashMap<>();
    List<Long> order = new ArrayList<>();
    for (int i = 0; i < firstPosition; i++) {
      IpcMessage m = messages.get(i);
      if (m.isRecordBatch() || !wantedDictionaries.contains(m.dictionaryId())) {
        continue;
      }
      List<IpcMessage> state = dictionaryState.computeIfAbsent(m.dictionaryId(), id -> {
        order.add(id);
        return new ArrayList<>();
      });
      if (!m.delta()) {
        state.clear();
      }
      state.add(m);
    }
    List<IpcMessage> plan = new ArrayList<>();
    for (Long id : order) {
      plan.addAll(dictionaryState.get(id));
    }
    for (int i = firstPosition; i <= lastPosition; i++) {
      IpcMessage m = messages.get(i);
      if (m.isRecordBatch() || wantedDictionaries.contains(m.dictionaryId())) {
        plan.add(m);
      }
    }
    return plan;
  }
}
