package dev.quiver.server.ipc;

import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.flatbuf.Union;
import org.apache.arrow.flatbuf.UnionMode;

/**
 * Where one top-level column lives inside a record batch header: its run of field nodes, buffers
 * and variadic buffer counts. A record batch lists these for all columns depth-first, so selecting a
 * column is selecting its runs.
 *
 * <p>A column's buffer count is {@code fixedBuffers} plus, for each view-typed field in it
 * ({@code Utf8View}, {@code BinaryView}), that batch's variadic buffer count for the field: the
 * data buffers of view arrays vary from batch to batch. Per-type counts follow the Arrow columnar
 * format ("Buffer listing for each layout"); under metadata V4, unions and run-end encoded arrays
 * also carried a validity buffer.
 */
public record ColumnLayout(int nodeStart, int nodes, int fixedBuffers, int variadicStart, int variadics) {

  /** Layouts of every top-level column of {@code schema}, as batches of metadata {@code version} lay them out. */
  static ColumnLayout[] of(org.apache.arrow.flatbuf.Schema schema, short version) throws IpcFormatException {
    ColumnLayout[] layouts = new ColumnLayout[schema.fieldsLength()];
    int node = 0;
    int variadic = 0;
    Field field = new Field();
    for (int i = 0; i < layouts.length; i++) {
      int[] counts = new int[3];
      count(schema.fields(field, i), version, counts, 0);
      layouts[i] = new ColumnLayout(node, counts[0], counts[1], variadic, counts[2]);
      node += counts[0];
      variadic += counts[2];
    }
    return layouts;
  }

  /**
   * Where each column's buffers start in {@code batch} (one entry more than columns: the last is
   * the total), counting this batch's variadic buffers for view fields.
   *
   * @throws IpcFormatException if the batch's nodes, buffers or variadic counts do not fit the layouts
   */
  static int[] bufferStarts(ColumnLayout[] layouts, RecordBatch batch, String where) throws IpcFormatException {
    int[] starts = new int[layouts.length + 1];
    int nodes = 0;
    int variadics = 0;
    int variadicCounts = batch.variadicBufferCountsLength();
    for (int c = 0; c < layouts.length; c++) {
      ColumnLayout layout = layouts[c];
      long buffers = layout.fixedBuffers();
      for (int v = layout.variadicStart(); v < layout.variadicStart() + layout.variadics(); v++) {
        buffers += v < variadicCounts ? batch.variadicBufferCounts(v) : 0;
      }
      if (starts[c] + buffers > batch.buffersLength()) {
        throw mismatch(where, batch, layouts);
      }
      starts[c + 1] = starts[c] + (int) buffers;
      nodes += layout.nodes();
      variadics += layout.variadics();
    }
    if (batch.nodesLength() != nodes || batch.buffersLength() != starts[layouts.length]
        || (variadicCounts != variadics && variadicCounts != 0)) {
      throw mismatch(where, batch, layouts);
    }
    return starts;
  }

  private static IpcFormatException mismatch(String where, RecordBatch batch, ColumnLayout[] layouts) {
    int nodes = 0;
    int fixed = 0;
    for (ColumnLayout layout : layouts) {
      nodes += layout.nodes();
      fixed += layout.fixedBuffers();
    }
    return new IpcFormatException(
        where + ": the batch has " + batch.nodesLength() + " field nodes and " + batch.buffersLength()
            + " buffers, but its schema implies " + nodes + " nodes and " + fixed + " buffers plus "
            + batch.variadicBufferCountsLength() + " variadic counts");
  }

  private static void count(Field field, short version, int[] counts, int depth) throws IpcFormatException {
    if (depth > IpcSchema.MAX_DEPTH) {
      throw new IpcFormatException("schema nests fields more than " + IpcSchema.MAX_DEPTH + " levels deep");
    }
    counts[0]++;
    if (field.dictionary() != null) {
      // A dictionary-encoded column carries only its integer indices in the record batch;
      // the values (and their children) travel in dictionary batches.
      counts[1] += 2;
      return;
    }
    byte type = field.typeType();
    counts[1] += fixedBufferCount(field, type, version);
    if (type == Type.Utf8View || type == Type.BinaryView) {
      counts[2]++;
    }
    Field child = new Field();
    for (int c = 0; c < field.childrenLength(); c++) {
      count(field.children(child, c), version, counts, depth + 1);
    }
  }

  private static int fixedBufferCount(Field field, byte type, short version) throws IpcFormatException {
    switch (type) {
      case Type.Null:
        return 0;
      case Type.RunEndEncoded:
        // Before V5, every non-null type carried a validity buffer, run-end encoded ones included.
        return version < MetadataVersion.V5 ? 1 : 0;
      case Type.Struct_, Type.FixedSizeList:
        return 1;
      case Type.Union: {
        Union union = (Union) field.type(new Union());
        int buffers = union != null && union.mode() == UnionMode.Dense ? 2 : 1;
        return version < MetadataVersion.V5 ? buffers + 1 : buffers;
      }
      case Type.List, Type.LargeList, Type.Map, Type.Utf8View, Type.BinaryView:
        return 2;
      case Type.Int, Type.FloatingPoint, Type.Bool, Type.Decimal, Type.Date, Type.Time, Type.Timestamp,
          Type.Interval, Type.Duration, Type.FixedSizeBinary:
        return 2;
      case Type.Utf8, Type.LargeUtf8, Type.Binary, Type.LargeBinary, Type.ListView, Type.LargeListView:
        return 3;
      default:
        throw new IpcFormatException("field '" + field.name() + "' has an unknown type (id " + type + ")");
    }
  }
}
