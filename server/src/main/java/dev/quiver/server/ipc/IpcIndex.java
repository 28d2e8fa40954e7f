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

  /**
   * The index of a dataset stored as several files read in order (an appended dataset): their
   * messages one after the other, each tagged with its part. Every part must have the same schema;
   * each part's dictionaries replace the previous part's, which stream readers handle.
   *
   * @throws IpcFormatException naming the first part whose schema differs from the first's
   */
  public static IpcIndex concat(List<IpcIndex> parts) throws IpcFormatException {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    if (parts.isEmpty()) {
      throw new IpcFormatException("a multi-part dataset needs at least one part");
    }
    IpcSchema schema = parts.get(0).schema();
    List<IpcMessage> messages = new ArrayList<>();
    boolean compressed = false;
    for (int p = 0; p < parts.size(); p++) {
      IpcIndex part = parts.get(p);
      if (!part.schema().sameFieldsAs(schema)) {
        throw new IpcFormatException("part " + p + " has a different schema from part 0");
      }
      for (IpcMessage m : part.messages()) {
        messages.add(m.inPart(p));
      }
      compressed |= part.compressed();
    }
    return new IpcIndex(IpcFormat.FILE, schema, messages, compressed);
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

  /** The compression codecs record batches use ({@code lz4_frame}, {@code zstd}); {@code none} if none. */
  public java.util.SortedSet<String> compressionCodecs() {
    java.util.SortedSet<String> codecs = new java.util.TreeSet<>();
    for (IpcMessage m : messages) {
      if (!m.isRecordBatch()) {
        continue;
      }
      try {
        org.apache.arrow.flatbuf.RecordBatch batch = MessageReader.recordBatch(
            MessageReader.parse(m.header(), "batch"), m.header().length, "batch");
        codecs.add(batch.compression() == null ? "none"
            : org.apache.arrow.flatbuf.CompressionType.name(batch.compression().codec()).toLowerCase(java.util.Locale.ROOT));
      } catch (IpcFormatException e) {
        codecs.add("unknown");
      }
    }
    if (codecs.isEmpty()) {
      codecs.add("none");
    }
    return codecs;
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
