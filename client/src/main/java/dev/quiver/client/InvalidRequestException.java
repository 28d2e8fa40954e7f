package dev.quiver.client;

/** The server refused the request as malformed (INVALID_ARGUMENT, UNIMPLEMENTED): fix the request; retrying it unchanged fails again. */
public class InvalidRequestException extends QuiverException {
  public InvalidRequestException(String message, Throwable cause) {
    super(message, cause);
  }
}
