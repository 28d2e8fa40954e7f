package dev.quiver.server.flight;

import dev.quiver.protocol.DatasetTicket;
import dev.quiver.server.auth.Access;
import dev.quiver.server.auth.Scope;
import dev.quiver.server.catalog.Catalog;
import dev.quiver.server.telemetry.CallReport;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import org.apache.arrow.flight.impl.Flight;

/**
 * DoGet: reads the ticket, opens the selection, and hands it to a {@link DoGetStream} that sends
 * the frames as the client reads them. Errors before the first frame become the call's status.
 */
final class DoGetMethod implements ServerCalls.ServerStreamingMethod<Flight.Ticket, FlightFrame> {
  private final Catalog catalog;
  private final int onReadyThreshold;
  private final boolean copyBodies;

  /** @param copyBodies send copies of the bodies instead of the mapping ({@link BodyCopy}) */
  DoGetMethod(Catalog catalog, int onReadyThreshold, boolean copyBodies) {
    this.catalog = catalog;
    this.onReadyThreshold = onReadyThreshold;
    this.copyBodies = copyBodies;
  }

  @Override
  public void invoke(Flight.Ticket request, StreamObserver<FlightFrame> responses) {
    ServerCallStreamObserver<FlightFrame> call = (ServerCallStreamObserver<FlightFrame>) responses;
    String what = "DoGet";
    try {
      DatasetTicket ticket = DatasetTicket.parse(request.getTicket().toByteArray());
      what = "DoGet of dataset '" + ticket.dataset() + "'";
      CallReport report = CallReport.current();
      report.dataset(ticket.dataset());
      Access.require(Scope.READ, ticket.dataset());
      DatasetSelection selection = DatasetSelection.open(catalog, ticket);
      call.setOnReadyThreshold(onReadyThreshold);
      new DoGetStream(call, selection, report, copyBodies).start();
    } catch (Exception e) {
      call.onError(FlightErrors.toGrpc(e, what));
    }
  }
}
