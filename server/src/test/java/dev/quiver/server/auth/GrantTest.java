package dev.quiver.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GrantTest {
  private static DatasetName name(String text) {
    return DatasetName.parse(text);
  }

  @Test
  void aBareScopeCoversEveryDataset() {
    Grant read = Grant.parse("read");
    assertThat(read.allows(Scope.READ, name("sales/2024"))).isTrue();
    assertThat(read.allows(Scope.READ, name("x"))).isTrue();
    assertThat(read.allowsEverywhere(Scope.READ)).isTrue();
    assertThat(read.toString()).isEqualTo("read");
  }

  @Test
  void writeDoesNotImplyReadNorReadWrite() {
    assertThat(Grant.parse("write").allows(Scope.READ, name("a"))).isFalse();
    assertThat(Grant.parse("read").allows(Scope.WRITE, name("a"))).isFalse();
    assertThat(Grant.parse("read").allows(Scope.ADMIN, name("a"))).isFalse();
    assertThat(Grant.parse("write").allowsEverywhere(Scope.ADMIN)).isFalse();
  }

  @Test
  void adminAllowsEverythingEverywhere() {
    Grant admin = Grant.parse("admin");
    for (Scope scope : Scope.values()) {
      assertThat(admin.allows(scope, name("any/thing"))).isTrue();
      assertThat(admin.allowsEverywhere(scope)).isTrue();
    }
  }

  @ParameterizedTest
  @CsvSource({
      "write:uploads/*, uploads/a, true",
      "write:uploads/*, uploads/a/b, false",
      "write:uploads/*, uploads, false",
      "write:uploads/*, other/a, false",
      "write:uploads/*, uploadsx/a, false",
      "write:uploads/**, uploads/a/b, true",
      "write:**, x/y/z, true",
      "write:sales-*, sales-2024, true",
      "write:sales-*, sales/2024, false",
      "'write:{a,b}/*', b/x, true",
      "write:exact, exact, true",
      "write:exact, exact/x, false",
  })
  void patternsLimitTheNames(String grant, String dataset, boolean allowed) {
    assertThat(Grant.parse(grant).allows(Scope.WRITE, name(dataset))).isEqualTo(allowed);
  }

  @Test
  void aLimitedGrantIsNotEverywhere() {
    Grant limited = Grant.parse("admin:ops/*");
    assertThat(limited.allows(Scope.ADMIN, name("ops/x"))).isTrue();
    assertThat(limited.allows(Scope.READ, name("ops/x"))).isTrue();
    assertThat(limited.allows(Scope.READ, name("other"))).isFalse();
    assertThat(limited.allowsEverywhere(Scope.ADMIN)).isFalse();
    assertThat(Grant.parse("read:**").allowsEverywhere(Scope.READ)).as("a pattern is never 'everywhere'").isFalse();
  }

  @Test
  void scopesAreCaseInsensitiveAndTrimmed() {
    assertThat(Grant.parse(" READ ").toString()).isEqualTo("read");
    assertThat(Grant.parse("Write:uploads/*").toString()).isEqualTo("write:uploads/*");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "reader", "delete", "read write", "*:x"})
  void unknownScopesAreRefused(String text) {
    assertThatThrownBy(() -> Grant.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown scope").hasMessageContaining("read, write or admin");
  }

  @Test
  void emptyOrInvalidPatternsAreRefused() {
    assertThatThrownBy(() -> Grant.parse("read:")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty name pattern");
    assertThatThrownBy(() -> Grant.parse("read:[a")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid name pattern");
  }
}
