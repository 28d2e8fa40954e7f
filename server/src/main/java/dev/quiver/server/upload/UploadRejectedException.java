package dev.quiver.server.upload;

/**
 * An upload refused for lack of resources: over the size limit, or not enough free disk. Nothing
 * of it is stored. Answered with {@code RESOURCE_EXHAUSTED}.
 */
public final class UploadRejectedException extends Exception {
  private static final long serialVersionUID = 1L;

  public UploadRejectedException(String message) {
    super(message);
  }
}
