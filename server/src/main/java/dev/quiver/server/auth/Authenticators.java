package dev.quiver.server.auth;

import dev.quiver.server.config.Operations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The authenticator the configuration asks for. */
public final class Authenticators {
  private static final Logger log = LoggerFactory.getLogger(Authenticators.class);

  private Authenticators() {}

  /**
   * null when no auth file is configured: authentication off. The auth file is read once, here;
   * changes to it take effect at the next start.
   *
   * @throws IllegalArgumentException if the auth file cannot be read or is invalid, naming it, the
   *     entry and the problem
   */
  public static Authenticator fromConfig(Operations operations) {
    if (operations.authFile() == null) {
      return null;
    }
    AuthFile file = AuthFile.load(operations.authFile());
    for (AuthFile.User user : file.users()) {
      if (user.cost() < AuthFile.RECOMMENDED_COST) {
        log.warn("auth file {}: the password hash of user '{}' has bcrypt cost {}, which is weak; use {} or more"
            + " (hash-password uses 12)", file.path(), user.name(), user.cost(), AuthFile.RECOMMENDED_COST);
      }
    }
    log.info("authentication on: {} user(s) and {} API token(s) from {}; issued tokens last {}",
        file.users().size(), file.tokens().size(), file.path(),
        operations.tokenTtl().toString().substring(2).toLowerCase(java.util.Locale.ROOT));
    return new FileAuthenticator(file, operations.tokenTtl());
  }
}
