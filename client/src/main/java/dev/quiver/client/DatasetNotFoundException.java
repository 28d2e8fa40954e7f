package dev.quiver.client;

/** The dataset does not exist on the server (NOT_FOUND); {@code list} shows what does. */
public class DatasetNotFoundException extends QuiverException {
  public DatasetNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
