package dev.quiver.server.auth;

import io.grpc.Context;
import java.util.concurrent.Callable;

/**
 * Runs code as the service runs it inside a call made by {@code principal}, as
 * {@link AuthInterceptor} would have set it up: for tests that drive service parts without a server.
 */
public final class AsCaller {
  private AsCaller() {}

  public static <T> T call(Principal principal, Callable<T> work) throws Exception {
    return Context.current().withValue(Access.PRINCIPAL, principal).call(work);
  }
}
