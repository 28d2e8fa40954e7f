package dev.quiver.client;

/** Reading or writing a local file failed; nothing was changed on the server by the failed step. */
public class LocalIoException extends QuiverException {
  public LocalIoException(String message, Throwable cause) {
    super(message, cause);
  }
}
