package dev.quiver.client;

/** A download's destination file exists and overwriting was not allowed ({@link DownloadOptions#withOverwrite}). */
public class DestinationExistsException extends LocalIoException {
  public DestinationExistsException(String message, Throwable cause) {
    super(message, cause);
  }
}
