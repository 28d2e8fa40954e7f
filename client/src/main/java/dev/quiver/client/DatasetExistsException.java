package dev.quiver.client;

/** The dataset already exists (ALREADY_EXISTS): upload with mode overwrite or append, or rename with overwrite. */
public class DatasetExistsException extends QuiverException {
  public DatasetExistsException(String message, Throwable cause) {
    super(message, cause);
  }
}
