package dev.quiver.server.ipc;

import java.util.List;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Where one top-level column lives inside a record batch header: the run of field nodes, buffers
 * and variadic buffer counts that belong to it. A record batch lists these for all columns in
 * depth-first order, so selecting a column is selecting its three runs.
 *
 * <p>The per-type buffer counts follow the Arrow columnar format ("Buffer listing for each layout").
 */
public record ColumnLayout(int nodeStart, int nodes, int bufferStart, int buffers, int variadicStart, int variadics) {

  /** Layouts of every top-level column of {@code schema}, in schema order. */
  public static ColumnLayout[] of(Schema schema) {
    List<Field> fields = schema.getFields();
    ColumnLayout[] layouts = new ColumnLayout[fields.size()];
    int node = 0;
    int buffer = 0;
    int variadic = 0;
    for (int i = 0; i < layouts.length; i++) {
      int[] counts = new int[3];
      count(fields.get(i), counts);
      layouts[i] = new ColumnLayout(node, counts[0], buffer, counts[1], variadic, counts[2]);
      node += counts[0];
      buffer += counts[1];
      variadic += counts[2];
    }
    return layouts;
  }

  private static void count(Field field, int[] counts) {
    counts[0]++;
    if (field.getDictionary() != null) {
      // A dictionary-encoded column carries only its integer indices in the record batch;
      // the values (and their children) travel in dictionary batches.
      counts[1] += 2;
      return;
    }
    ArrowType type = field.getType();
    counts[1] += bufferCount(type);
    if (type.getTypeID() == ArrowType.ArrowTypeID.Utf8View
        || type.getTypeID() == ArrowType.ArrowTypeID.BinaryView) {
      counts[2]++;
    }
    for (Field child : field.getChildren()) {
      count(child, counts);
    }
  }

  static int bufferCount(ArrowType type) {
    return switch (type.getTypeID()) {
      case Null, RunEndEncoded -> 0;
      case Struct, FixedSizeList -> 1;
      case Union -> ((ArrowType.Union) type).getMode() == org.apache.arrow.vector.types.UnionMode.Dense ? 2 : 1;
      case List, LargeList, Map, Utf8View, BinaryView -> 2;
      case Int, FloatingPoint, Bool, Decimal, Date, Time, Timestamp, Interval, Duration, FixedSizeBinary -> 2;
      case Utf8, LargeUtf8, Binary, LargeBinary, ListView, LargeListView -> 3;
      default -> throw new IllegalArgumentException("no buffer layout known for type " + type);
    };
  }
}
