package dev.quiver.client;

/** The caller cancelled the transfer through its {@link Cancellation}; a download left no file, an upload stored nothing. */
public class TransferCancelledException extends QuiverException {
  public TransferCancelledException(String message, Throwable cause) {
    super(message, cause);
  }
}
