package dev.quiver.server.auth;

/** The caller is authenticated but not allowed to do this: PERMISSION_DENIED. */
public final class PermissionDeniedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PermissionDeniedException(String message) {
    super(message);
  }
}
