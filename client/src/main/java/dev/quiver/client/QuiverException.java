package dev.quiver.client;

/**
 * Base of every error the client library reports. The subclasses say whose problem it is: the
 * request ({@link InvalidRequestException}, {@link DatasetNotFoundException},
 * {@link DatasetExistsException}), credentials ({@link AuthenticationException}), the server
 * ({@link ServerException}), the network ({@link NetworkException}), the local disk
 * ({@link LocalIoException}), or the caller's own cancellation ({@link TransferCancelledException}).
 * Unchecked, like arrow-java's {@code FlightRuntimeException}.
 */
public class QuiverException extends RuntimeException {
  public QuiverException(String message, Throwable cause) {
    super(message, cause);
  }
}
