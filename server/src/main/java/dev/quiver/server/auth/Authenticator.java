package dev.quiver.server.auth;

import io.grpc.Metadata;
import java.time.Duration;

/** Decides who makes a call from its headers. */
public interface Authenticator {
  /**
   * The principal the call's credentials ({@code authorization} header) identify.
   *
   * @throws UnauthenticatedException if they are missing, wrong or expired, saying which
   */
  Principal authenticate(Metadata headers) throws UnauthenticatedException;

  /** A bearer token a Handshake hands out for basic credentials: the token and how long it lasts. */
  record IssuedToken(String token, Duration lifetime) {
    @Override
    public String toString() {
      return "IssuedToken[lifetime=" + lifetime + "]"; // never the token
    }
  }

  /**
   * A new bearer token standing for {@code principal} (who just authenticated with basic
   * credentials), or null if this authenticator issues none.
   */
  default IssuedToken issueToken(Principal principal) {
    return null;
  }
}
