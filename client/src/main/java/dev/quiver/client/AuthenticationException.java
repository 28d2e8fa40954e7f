package dev.quiver.client;

/** The server did not accept the credentials (UNAUTHENTICATED) or they do not allow this call (PERMISSION_DENIED). */
public class AuthenticationException extends QuiverException {
  public AuthenticationException(String message, Throwable cause) {
    super(message, cause);
  }
}
