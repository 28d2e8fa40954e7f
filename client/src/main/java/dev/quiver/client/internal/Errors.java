package dev.quiver.client.internal;

import dev.quiver.client.AuthenticationException;
import dev.quiver.client.DatasetExistsException;
import dev.quiver.client.DatasetNotFoundException;
import dev.quiver.client.InvalidRequestException;
import dev.quiver.client.NetworkException;
import dev.quiver.client.QuiverException;
import dev.quiver.client.ServerException;
import dev.quiver.client.TransferCancelledException;
import io.grpc.Status;
import org.apache.arrow.flight.FlightRuntimeException;

/** Turns what gRPC and arrow-java throw into the client's exception types. Internal. */
public final class Errors {
  private Errors() {}

  /**
   * The exception for a failed call. {@code what} says what was attempted ("download of dataset
   * 'x'"), {@code target} where the server is, so the message says what to do.
   */
  public static QuiverException translate(Throwable error, String what, String target) {
    if (error instanceof QuiverException q) {
      return q;
    }
    String code;
    String detail;
    if (error instanceof FlightRuntimeException f) {
      code = f.status().code().name();
      detail = f.status().description();
    } else {
      Status status = Status.fromThrowable(error);
      code = status.getCode().name();
      detail = status.getDescription();
    }
    return forCode(code, detail == null || detail.isEmpty() ? String.valueOf(error.getMessage()) : detail, what,
        target, error);
  }

  /** The exception for a gRPC status code name (as {@link Status.Code} or {@link FlightStatusCode} spell it). */
  public static QuiverException forCode(String code, String detail, String what, String target, Throwable cause) {
    String message = what + " failed: " + detail;
    return switch (code) {
      case "NOT_FOUND" -> new DatasetNotFoundException(message, cause);
      case "ALREADY_EXISTS" -> new DatasetExistsException(message, cause);
      case "INVALID_ARGUMENT", "UNIMPLEMENTED" -> new InvalidRequestException(message, cause);
      case "UNAUTHENTICATED" -> new AuthenticationException(message
          + " (check the token or user name and password given to the client)", cause);
      // arrow-java calls PERMISSION_DENIED UNAUTHORIZED.
      case "PERMISSION_DENIED", "UNAUTHORIZED" -> new AuthenticationException(message
          + " (these credentials do not allow this call)", cause);
      case "UNAVAILABLE" -> new NetworkException(message + " (is the server running at " + target
          + " and reachable? is TLS set the same on both sides?)", cause);
      case "DEADLINE_EXCEEDED", "TIMED_OUT" -> new NetworkException(message
          + " (no answer in time: raise the client's deadline or check the network)", cause);
      case "CANCELLED" -> new TransferCancelledException(what + " was cancelled", cause);
      default -> new ServerException(code, message, cause);
    };
  }

  /** Whether a failed transfer is worth resuming: the connection broke, not the request. */
  public static boolean isTransient(Throwable error) {
    String code = error instanceof FlightRuntimeException f ? f.status().code().name()
        : Status.fromThrowable(error).getCode().name();
    // gRPC reports a connection reset mid-stream as UNAVAILABLE, sometimes as INTERNAL or UNKNOWN
    // (a truncated HTTP/2 stream); none of those can come from a malformed request to Quiver.
    return switch (code) {
      case "UNAVAILABLE", "INTERNAL", "UNKNOWN" -> true;
      default -> false;
    };
  }

}
