package dev.quiver.server.auth;

import dev.quiver.protocol.DatasetName;
import io.grpc.Context;

/**
 * The current call's principal, as {@link AuthInterceptor} attached it to the gRPC context, and
 * the checks the Flight service makes with it. Fails closed: a call without a principal (which
 * only a server assembled without the interceptor could produce) may do nothing.
 */
public final class Access {
  static final Context.Key<Principal> PRINCIPAL = Context.key("quiver-principal");
  private static final Principal NOBODY = new Principal("unauthenticated", java.util.List.of());

  private Access() {}

  public static Principal current() {
    Principal principal = PRINCIPAL.get();
    return principal == null ? NOBODY : principal;
  }

  /** Whether the caller may read {@code name} (ListFlights shows only those). */
  public static boolean mayRead(DatasetName name) {
    return current().may(Scope.READ, name);
  }

  /** @throws PermissionDeniedException unless the caller has {@code scope} on {@code name} */
  public static void require(Scope scope, DatasetName name) {
    Principal principal = current();
    if (!principal.may(scope, name)) {
      throw new PermissionDeniedException("'" + principal.name() + "' may not " + scope.label() + " dataset '" + name
          + "' (needs scope " + scope.label() + " on that name)");
    }
  }

  /** @throws PermissionDeniedException unless the caller has {@code scope} on every dataset */
  public static void requireEverywhere(Scope scope, String what) {
    Principal principal = current();
    if (!principal.mayEverywhere(scope)) {
      throw new PermissionDeniedException("'" + principal.name() + "' may not " + what + " (needs scope "
          + scope.label() + " on every dataset)");
    }
  }
}
