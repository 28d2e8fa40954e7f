package dev.quiver.client;

/** The server could not be reached or the connection broke (UNAVAILABLE, DEADLINE_EXCEEDED): check the address, the server, or the network; retrying may succeed. */
public class NetworkException extends QuiverException {
  public NetworkException(String message, Throwable cause) {
    super(message, cause);
  }
}
