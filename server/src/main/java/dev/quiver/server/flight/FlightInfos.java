package dev.quiver.server.flight;

import com.google.protobuf.ByteString;
import dev.quiver.protocol.BatchRange;
import dev.quiver.protocol.DatasetTicket;
import dev.quiver.server.ipc.IpcFormatException;
import dev.quiver.server.ipc.IpcIndex;
import dev.quiver.server.ipc.IpcMessage;
import dev.quiver.server.ipc.Projection;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.flight.impl.Flight;

/**
 * Builds {@code FlightInfo} and {@code SchemaResult} messages for a selection: the schema in IPC
 * form, row and byte totals, and the endpoints. A selection larger than the endpoint target is split
 * into consecutive batch ranges of roughly that many bytes, each with its own JSON ticket, so
 * clients can fetch them in parallel and concatenate them in endpoint order.
 */
final class FlightInfos {
  private final long endpointTargetBytes;

  FlightInfos(long endpointTargetBytes) {
    if (endpointTargetBytes <= 0) {
      throw new IllegalArgumentException("endpoint target bytes must be positive");
    }
    this.endpointTargetBytes = endpointTargetBytes;
  }

  Flight.FlightInfo info(DatasetSelection selection, Flight.FlightDescriptor descriptor) throws IpcFormatException {
    IpcIndex index = selection.dataset().index();
    BatchRange range = selection.range();
    DatasetTicket base = selection.ticket();
    Flight.FlightInfo.Builder info = Flight.FlightInfo.newBuilder()
        .setSchema(encapsulatedSchema(selection.schemaHeader()))
        .setFlightDescriptor(descriptor)
        .setOrdered(true);

    long rows = 0;
    long bytes = selection.schemaHeader().length;
    int endpointStart = range.start();
    long endpointBytes = 0;
    for (int b = range.start(); b < range.end(); b++) {
      IpcMessage batch = index.batch(b);
      long batchBytes = wireBytes(selection, batch, b);
      rows += batch.rows();
      bytes += batchBytes;
      endpointBytes += batchBytes;
      if (endpointBytes >= endpointTargetBytes && b + 1 < range.end()) {
        info.addEndpoint(endpoint(base, endpointStart, b + 1));
        endpointStart = b + 1;
        endpointBytes = 0;
      }
    }
    // The last (or only) endpoint; an empty dataset still gets one, so DoGet can return its schema.
    info.addEndpoint(endpoint(base, endpointStart, range.end()));
    return info.setTotalRecords(rows).setTotalBytes(bytes).build();
  }

  private static long wireBytes(DatasetSelection selection, IpcMessage batch, int position) throws IpcFormatException {
    if (selection.projection().isEmpty()) {
      return batch.wireBytes();
    }
    Projection.ProjectedBatch projected = selection.projection().get().project(batch, "record batch " + position);
    return projected.header().length + projected.bodyLength();
  }

  private static Flight.FlightEndpoint endpoint(DatasetTicket base, int start, int end) {
    DatasetTicket ticket = base.withBatches(new BatchRange(start, end));
    return Flight.FlightEndpoint.newBuilder()
        .setTicket(Flight.Ticket.newBuilder().setTicket(ByteString.copyFrom(ticket.toBytes())))
        .build();
  }

  Flight.SchemaResult schema(DatasetSelection selection) {
    return Flight.SchemaResult.newBuilder().setSchema(encapsulatedSchema(selection.schemaHeader())).build();
  }

  /**
   * The schema as Flight carries it in FlightInfo and SchemaResult: an encapsulated IPC message
   * (continuation marker, padded length, flatbuffer, zero padding to 8 bytes).
   */
  static ByteString encapsulatedSchema(byte[] header) {
    int padded = (header.length + 7) & ~7;
    ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(0xFFFFFFFF).putInt(padded).put(header);
    return ByteString.copyFrom(out.array());
  }
}
