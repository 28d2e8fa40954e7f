package dev.quiver.server.flight;

import dev.quiver.protocol.ProtocolException;
import dev.quiver.server.auth.PermissionDeniedException;
import dev.quiver.server.catalog.CatalogClosedException;
import dev.quiver.server.catalog.DatasetExistsException;
import dev.quiver.server.catalog.DatasetNotFoundException;
import dev.quiver.server.catalog.DatasetUnreadableException;
import dev.quiver.server.upload.UploadRejectedException;
import io.grpc.StatusRuntimeException;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.grpc.StatusUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what went wrong into the Flight status a client sees. Expected failures (bad requests,
 * missing or broken datasets) carry their own message; anything else is a bug, logged here with
 * its stack trace and reported as INTERNAL without leaking internals.
 */
final class FlightErrors {
  private static final Logger log = LoggerFactory.getLogger(FlightErrors.class);

  private FlightErrors() {}

  static StatusRuntimeException toGrpc(Throwable t, String what) {
    FlightRuntimeException flight = toFlight(t, what);
    return StatusUtils.toGrpcStatus(flight.status()).asRuntimeException();
  }

  static FlightRuntimeException toFlight(Throwable t, String what) {
    if (t instanceof FlightRuntimeException f) {
      return f;
    }
    if (t instanceof ProtocolException) {
      return CallStatus.INVALID_ARGUMENT.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof DatasetNotFoundException) {
      return CallStatus.NOT_FOUND.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof DatasetUnreadableException) {
      return CallStatus.INTERNAL.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof DatasetExistsException) {
      return CallStatus.ALREADY_EXISTS.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof UploadRejectedException) {
      return CallStatus.RESOURCE_EXHAUSTED.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof FrameSource.ServedFileTruncatedException) {
      return CallStatus.INTERNAL.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof MessageTooLargeException) {
      return CallStatus.RESOURCE_EXHAUSTED.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof QuiverFlightService.UploadIdleException) {
      return CallStatus.TIMED_OUT.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof PermissionDeniedException) {
      return CallStatus.UNAUTHORIZED.withDescription(t.getMessage()).toRuntimeException();
    }
    if (t instanceof CatalogClosedException) {
      return CallStatus.UNAVAILABLE.withDescription("the server is shutting down").toRuntimeException();
    }
    log.error("unexpected failure in {}", what, t);
    return CallStatus.INTERNAL
        .withDescription("internal error in " + what + " (" + t.getClass().getSimpleName() + "); see the server log")
        .toRuntimeException();
  }

  /** A single record batch too large for one gRPC message (2 GiB). */
  static final class MessageTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MessageTooLargeException(String message) {
      super(message);
    }
  }
}
