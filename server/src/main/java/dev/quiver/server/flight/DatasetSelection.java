package dev.quiver.server.flight;

import dev.quiver.protocol.BatchRange;
import dev.quiver.protocol.DatasetTicket;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.catalog.DatasetNotFoundException;
import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.catalog.OpenDataset;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.IpcMessage;
import dev.quiver.server.ipc.Projection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A request resolved against the catalog: the open dataset version, the projection (if columns
 * were asked for) and the batch range, all checked. Owns the open dataset until closed.
 */
final class DatasetSelection implements AutoCloseable {
  private final OpenDataset dataset;
  private final Projection projection;
  private final BatchRange range;
  private final DatasetTicket ticket;

  private DatasetSelection(OpenDataset dataset, Projection projection, BatchRange range, DatasetTicket ticket) {
    this.dataset = dataset;
    this.projection = projection;
    this.range = range;
    this.ticket = ticket;
  }

  /**
   * Opens what {@code ticket} asks for.
   *
   * @throws ProtocolException for an unknown column or a batch range outside the dataset
   */
  static DatasetSelection open(Catalog catalog, DatasetTicket ticket)
      throws DatasetNotFoundException, DatasetUnreadableException {
    OpenDataset dataset = catalog.open(ticket.dataset());
    try {
      Projection projection = null;
      if (ticket.columns().isPresent()) {
        try {
          projection = Projection.of(dataset.index(), ticket.columns().get());
        } catch (ProtocolException e) {
          throw new ProtocolException("dataset '" + ticket.dataset() + "': " + e.getMessage(), e);
        } catch (IpcFormatException e) {
          throw new DatasetUnreadableException(ticket.dataset(), dataset.path().getFileName().toString(), e);
        }
      }
      int batches = dataset.index().batchCount();
      BatchRange range = ticket.batches().orElse(new BatchRange(0, batches));
      if (!range.fitsWithin(batches)) {
        throw new ProtocolException(
            "batch range " + range + " is outside dataset '" + ticket.dataset() + "', which has " + batches
                + " batches (valid ranges lie within [0, " + batches + "))");
      }
      return new DatasetSelection(dataset, projection, range, ticket);
    } catch (RuntimeException | DatasetUnreadableException e) {
      dataset.close();
      throw e;
    }
  }

  OpenDataset dataset() {
    return dataset;
  }

  Optional<Projection> projection() {
    return Optional.ofNullable(projection);
  }

  BatchRange range() {
    return range;
  }

  DatasetTicket ticket() {
    return ticket;
  }

  /** The flatbuffer Schema message clients get: the file's own, or the projected one. */
  byte[] schemaHeader() {
    return projection != null ? projection.schemaHeader() : dataset.index().schemaHeader();
  }

  /** Messages of the selected batch range, with the dictionaries the selected columns need. */
  List<IpcMessage> plan() {
    Set<Long> dictionaries = projection != null
        ? projection.dictionaryIds()
        : dataset.index().schema().dictionaryIds();
    return dataset.index().plan(range.start(), range.end(), dictionaries);
  }

  @Override
  public void close() {
    dataset.close();
  }
}
