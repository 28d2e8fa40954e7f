package dev.quiver.server.auth;

/** Credentials missing, wrong or expired: UNAUTHENTICATED. The message never contains a secret. */
public final class UnauthenticatedException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String user;

  public UnauthenticatedException(String message) {
    this(message, null);
  }

  /** @param user the user name the credentials claimed (for the log), or null */
  public UnauthenticatedException(String message, String user) {
    super(message, null, false, false);
    this.user = user;
  }

  /** The user name the refused credentials claimed, or null (bearer tokens claim none). */
  public String user() {
    return user;
  }
}
