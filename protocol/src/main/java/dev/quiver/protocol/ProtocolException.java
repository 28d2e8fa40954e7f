package dev.quiver.protocol;

/**
 * A request that does not follow Quiver's protocol: a bad dataset name, a malformed ticket.
 * The message is written for the person who sent the request and says what to fix;
 * servers answer it with {@code INVALID_ARGUMENT}.
 */
public class ProtocolException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ProtocolException(String message) {
    super(message);
  }

  public ProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
