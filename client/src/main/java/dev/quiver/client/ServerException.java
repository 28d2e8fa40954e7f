package dev.quiver.client;

/** The server failed or refused for its own reasons (INTERNAL, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ...); {@link #status()} names the Flight status code. */
public class ServerException extends QuiverException {
  private final String status;

  public ServerException(String status, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The Flight status code the server answered with, e.g. {@code RESOURCE_EXHAUSTED}. */
  public String status() {
    return status;
  }
}
