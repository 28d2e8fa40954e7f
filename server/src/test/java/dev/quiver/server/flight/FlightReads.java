package dev.quiver.server.flight;

import dev.quiver.server.testing.TestTables;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** Reads DoGet results into plain rows for comparison. */
final class FlightReads {
  private FlightReads() {}

  record Result(Schema schema, List<List<Object>> rows, int batches) {}

  static Ticket ticket(String text) {
    return new Ticket(text.getBytes(StandardCharsets.UTF_8));
  }

  static Result read(FlightClient client, String ticket) throws Exception {
    return read(client, ticket(ticket));
  }

  static Result read(FlightClient client, Ticket ticket) throws Exception {
    try (FlightStream stream = client.getStream(ticket)) {
      List<List<Object>> rows = new ArrayList<>();
      int batches = 0;
      Schema schema = stream.getSchema();
      while (stream.next()) {
        VectorSchemaRoot root = stream.getRoot();
        for (int i = 0; i < root.getRowCount(); i++) {
          rows.add(TestTables.row(root, i, stream.getDictionaryProvider()));
        }
        batches++;
      }
      return new Result(schema, rows, batches);
    }
  }

  /** The rows of the mixed test table from {@code first} to {@code first + count}, columns picked by index. */
  static List<List<Object>> mixedRows(long first, long count, int... columns) {
    List<List<Object>> rows = new ArrayList<>();
    for (long n = first; n < first + count; n++) {
      List<Object> all = TestTables.mixedRow(n);
      if (columns.length == 0) {
        rows.add(all);
      } else {
        List<Object> picked = new ArrayList<>();
        for (int c : columns) {
          picked.add(all.get(c));
        }
        rows.add(picked);
      }
    }
    return rows;
  }
}
