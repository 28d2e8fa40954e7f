package dev.quiver.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a DoGet ticket (or a GetFlightInfo command) asks for: a dataset, optionally a subset of its
 * columns and a range of its record batches.
 *
 * <p>Two encodings are accepted, so that a person can type a ticket by hand and a program in any
 * language can build the full form:
 * <ul>
 *   <li>the bare UTF-8 dataset name: {@code sales/2024};</li>
 *   <li>a JSON object: {@code {"dataset": "sales/2024", "columns": ["id", "total"], "batches": [0, 64]}},
 *       where {@code columns} (projection, in the order wanted) and {@code batches} (half-open batch
 *       range) are optional. Unknown keys are rejected so a typo never silently reads everything.</li>
 * </ul>
 * The JSON form is validated against {@link ProtocolSchema#TICKET}, the schema the reference documents.
 */
public final class DatasetTicket {
  /** Tickets are small; anything larger is not a ticket and is refused before parsing. */
  public static final int MAX_TICKET_BYTES = 1 << 20;

  private final DatasetName dataset;
  private final List<String> columns;
  private final BatchRange batches;

  public DatasetTicket(DatasetName dataset, List<String> columns, BatchRange batches) {
    this.dataset = Objects.requireNonNull(dataset, "dataset");
    this.columns = columns == null ? null : List.copyOf(columns);
    this.batches = batches;
    if (this.columns != null) {
      Set<String> seen = new LinkedHashSet<>();
      for (String column : this.columns) {
        if (!seen.add(column)) {
          throw new ProtocolException("column '" + column + "' is listed twice in \"columns\"");
        }
      }
    }
  }

  /** A ticket for the whole dataset. */
  public static DatasetTicket of(DatasetName dataset) {
    return new DatasetTicket(dataset, null, null);
  }

  public DatasetName dataset() {
    return dataset;
  }

  /** The projection in the order asked for, or empty for all columns. */
  public Optional<List<String>> columns() {
    return Optional.ofNullable(columns);
  }

  /** The batch range asked for, or empty for all batches. */
  public Optional<BatchRange> batches() {
    return Optional.ofNullable(batches);
  }

  public DatasetTicket withBatches(BatchRange range) {
    return new DatasetTicket(dataset, columns, range);
  }

  /**
   * Decodes a ticket.
   *
   * @throws ProtocolException saying what is wrong with it
   */
  public static DatasetTicket parse(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new ProtocolException("ticket is empty: send a dataset name or a JSON ticket");
    }
    if (bytes.length > MAX_TICKET_BYTES) {
      throw new ProtocolException(
          "ticket is " + bytes.length + " bytes, more than the " + MAX_TICKET_BYTES + " allowed");
    }
    String text = Utf8Text.decode(bytes, "ticket", ": send a dataset name or a JSON ticket");
    String trimmed = text.strip();
    if (trimmed.startsWith("{")) {
      return parseJson(trimmed);
    }
    // Surrounding whitespace (a trailing newline from `echo`) is never part of a name.
    return of(DatasetName.parse(trimmed));
  }

  private static DatasetTicket parseJson(String text) {
    ObjectNode root = ProtocolSchema.TICKET.read(text, "ticket");
    DatasetName dataset = DatasetName.parse(root.get("dataset").textValue());
    List<String> columns = null;
    JsonNode columnsNode = root.get("columns");
    if (columnsNode != null && !columnsNode.isNull()) {
      columns = new ArrayList<>();
      for (JsonNode c : columnsNode) {
        if (!Utf16.isWellFormed(c.textValue())) {
          // No column is named so (Arrow names are UTF-8), and the ticket's canonical form, written
          // as UTF-8, would name another column. Found by fuzzing (DatasetTicketFuzzTest).
          throw new ProtocolException("\"columns\" holds a name with an unpaired UTF-16 surrogate (a lone \\uD800-\\uDFFF escape)");
        }
        columns.add(c.textValue());
      }
    }
    BatchRange batches = null;
    JsonNode batchesNode = root.get("batches");
    if (batchesNode != null && !batchesNode.isNull()) {
      try {
        batches = new BatchRange(batchesNode.get(0).intValue(), batchesNode.get(1).intValue());
      } catch (ProtocolException e) {
        // The schema checks each bound; only the range itself ([3, 1]) fails here. Name the dataset.
        throw new ProtocolException(StrictJson.about("ticket", root) + ": " + e.getMessage(), e);
      }
    }
    return new DatasetTicket(dataset, columns, batches);
  }

  /** The canonical JSON form, as servers put it in FlightInfo endpoints. */
  public String toJson() {
    ObjectNode node = StrictJson.MAPPER.createObjectNode();
    node.put("dataset", dataset.toString());
    if (columns != null) {
      ArrayNode array = node.putArray("columns");
      columns.forEach(array::add);
    }
    if (batches != null) {
      node.putArray("batches").add(batches.start()).add(batches.end());
    }
    return node.toString();
  }

  public byte[] toBytes() {
    return toJson().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof DatasetTicket)) {
      return false;
    }
    DatasetTicket t = (DatasetTicket) o;
    return dataset.equals(t.dataset) && Objects.equals(columns, t.columns) && Objects.equals(batches, t.batches);
  }

  @Override
  public int hashCode() {
    return Objects.hash(dataset, columns, batches);
  }

  @Override
  public String toString() {
    return toJson();
  }
}
