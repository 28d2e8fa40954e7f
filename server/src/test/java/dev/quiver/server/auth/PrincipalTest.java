package dev.quiver.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.protocol.DatasetName;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrincipalTest {
  private static DatasetName name(String text) {
    return DatasetName.parse(text);
  }

  @Test
  void grantsAddUp() {
    Principal alice = new Principal("alice", List.of(Grant.parse("read"), Grant.parse("write:uploads/*")));
    assertThat(alice.may(Scope.READ, name("sales/2024"))).isTrue();
    assertThat(alice.may(Scope.WRITE, name("uploads/x"))).isTrue();
    assertThat(alice.may(Scope.WRITE, name("sales/2024"))).isFalse();
    assertThat(alice.may(Scope.ADMIN, name("uploads/x"))).isFalse();
    assertThat(alice.mayEverywhere(Scope.READ)).isTrue();
    assertThat(alice.mayEverywhere(Scope.WRITE)).isFalse();
  }

  @Test
  void withoutGrantsNothingIsAllowed() {
    Principal nobody = new Principal("nobody", List.of());
    for (Scope scope : Scope.values()) {
      assertThat(nobody.may(scope, name("x"))).isFalse();
      assertThat(nobody.mayEverywhere(scope)).isFalse();
    }
  }

  @Test
  void unrestrictedMayDoEverything() {
    for (Scope scope : Scope.values()) {
      assertThat(Principal.UNRESTRICTED.may(scope, name("a/b"))).isTrue();
      assertThat(Principal.UNRESTRICTED.mayEverywhere(scope)).isTrue();
    }
  }

  @Test
  void grantsAreCopied() {
    List<Grant> grants = new ArrayList<>(List.of(Grant.parse("read:a")));
    Principal p = new Principal("p", grants);
    grants.add(Grant.parse("admin"));
    assertThat(p.mayEverywhere(Scope.ADMIN)).isFalse();
  }

  @Test
  void outsideACallAccessFailsClosed() {
    assertThat(Access.current().grants()).isEmpty();
    assertThat(Access.mayRead(name("a"))).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Access.require(Scope.READ, name("a")))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("may not read dataset 'a'");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Access.requireEverywhere(Scope.ADMIN, "refresh"))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("may not refresh");
  }
}
