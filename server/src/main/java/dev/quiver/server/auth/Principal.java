package dev.quiver.server.auth;

import dev.quiver.protocol.DatasetName;
import java.util.List;

/**
 * Who makes a call, and what they were granted. With authentication off every call is made by
 * {@link #UNRESTRICTED}.
 */
public record Principal(String name, List<Grant> grants) {
  public static final Principal UNRESTRICTED = new Principal("anonymous", List.of(Grant.all(Scope.ADMIN)));

  public Principal {
    grants = List.copyOf(grants);
  }

  public boolean may(Scope scope, DatasetName dataset) {
    return grants.stream().anyMatch(g -> g.allows(scope, dataset));
  }

  public boolean mayEverywhere(Scope scope) {
    return grants.stream().anyMatch(g -> g.allowsEverywhere(scope));
  }
}
