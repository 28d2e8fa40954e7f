package dev.quiver.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.protocol.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading the auth file: what it holds, and every mistake refused with the file, the entry and the problem. */
class AuthFileTest {
  private static final Path FILE = Path.of("/etc/quiver/auth.json");
  private static final String HASH = AuthFixture.bcrypt("pw", 4);
  private static final String SHA = Secrets.sha256Hex("tok");

  @TempDir Path dir;

  private static AuthFile parse(String json) {
    return AuthFile.parse(FILE, json);
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> refused(String json) {
    return assertThatThrownBy(() -> parse(json)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("auth file " + FILE + ": ");
  }

  @Test
  void readsUsersAndTokens() throws Exception {
    AuthFile file = AuthFixture.load(dir);
    assertThat(file.path()).isEqualTo(dir.resolve("auth.json"));
    assertThat(file.users()).extracting(AuthFile.User::name).containsExactly("alice", "reader", "boss", "limited");
    assertThat(file.users()).extracting(AuthFile.User::cost).containsOnly(4);
    assertThat(file.tokens()).extracting(AuthFile.Token::name).containsExactly("ci", "uploader");
    Principal alice = file.users().get(0).principal();
    assertThat(alice.grants()).extracting(Grant::toString).containsExactly("read", "write:uploads/*");
    assertThat(alice.may(Scope.WRITE, DatasetName.parse("uploads/x"))).isTrue();
    assertThat(file.tokens().get(0).sha256()).hasSize(32);
  }

  @Test
  void eitherListMayBeLeftOut() {
    String upperCaseHash = SHA.toUpperCase(java.util.Locale.ROOT);
    assertThat(parse("{\"tokens\": [{\"name\": \"t\", \"sha256\": \"" + upperCaseHash
        + "\", \"scopes\": [\"read\"]}]}").users()).isEmpty();
    assertThat(parse("{\"users\": [{\"name\": \"u\", \"password\": \"" + HASH + "\", \"scopes\": [\"read\"]}]}")
        .tokens()).isEmpty();
  }

  @Test
  void anEmptyFileIsRefused() {
    refused("{}").hasMessageContaining("no users and no tokens");
    refused("{\"users\": [], \"tokens\": []}").hasMessageContaining("no users and no tokens");
  }

  @Test
  void unknownKeysAreRefused() {
    refused("{\"users\": [], \"groups\": []}").hasMessageContaining("unknown key \"groups\"");
    refused("{\"users\": [{\"name\": \"u\", \"pasword\": \"" + HASH + "\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("users[0] ('u')").hasMessageContaining("unknown key \"pasword\"");
    refused("{\"tokens\": [{\"name\": \"t\", \"sha256\": \"" + SHA + "\", \"scopes\": [\"read\"], \"expires\": 1}]}")
        .hasMessageContaining("tokens[0] ('t')").hasMessageContaining("unknown key \"expires\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"hunter2", "$2y$10$tooShort",
      "{bcrypt}$2y$10$abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ",
      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"})
  void aPlaintextPasswordIsRefusedWithoutQuotingIt(String password) {
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + password + "\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("users[0] ('bob')").hasMessageContaining("not a bcrypt hash")
        .hasMessageContaining("hash-password").hasMessageNotContaining(password);
  }

  @Test
  void anImpossibleCostIsRefused() {
    String cost99 = "$2y$99$" + HASH.substring(7);
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + cost99 + "\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("cost 99");
  }

  @Test
  void aMissingPasswordOrHashIsRefused() {
    refused("{\"users\": [{\"name\": \"bob\", \"scopes\": [\"read\"]}]}").hasMessageContaining("needs \"password\"");
    refused("{\"users\": [{\"name\": \"bob\", \"password\": 5, \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("needs \"password\"");
    refused("{\"tokens\": [{\"name\": \"t\", \"scopes\": [\"read\"]}]}").hasMessageContaining("needs \"sha256\"");
    refused("{\"tokens\": [{\"name\": \"t\", \"sha256\": \"qvr_plaintext-token\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("64 hex digits").hasMessageNotContaining("qvr_plaintext-token");
  }

  @Test
  void badScopesAreRefused() {
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + HASH + "\", \"scopes\": [\"read\", \"delete\"]}]}")
        .hasMessageContaining("users[0] ('bob')").hasMessageContaining("unknown scope 'delete'");
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + HASH + "\", \"scopes\": [\"write:\"]}]}")
        .hasMessageContaining("empty name pattern");
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + HASH + "\", \"scopes\": []}]}")
        .hasMessageContaining("needs \"scopes\"");
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + HASH + "\"}]}")
        .hasMessageContaining("needs \"scopes\"");
    refused("{\"users\": [{\"name\": \"bob\", \"password\": \"" + HASH + "\", \"scopes\": \"read\"}]}")
        .hasMessageContaining("needs \"scopes\"");
    refused("{\"tokens\": [{\"name\": \"t\", \"sha256\": \"" + SHA + "\", \"scopes\": [1]}]}")
        .hasMessageContaining("must be a string");
  }

  @Test
  void duplicateNamesAreRefusedAcrossUsersAndTokens() {
    String user = "{\"name\": \"ci\", \"password\": \"" + HASH + "\", \"scopes\": [\"read\"]}";
    refused("{\"users\": [" + user + ", " + user + "]}")
        .hasMessageContaining("users[1]").hasMessageContaining("'ci' is already used by users[0]");
    refused("{\"users\": [" + user + "], \"tokens\": [{\"name\": \"ci\", \"sha256\": \"" + SHA
        + "\", \"scopes\": [\"read\"]}]}").hasMessageContaining("tokens[0]").hasMessageContaining("already used");
  }

  @Test
  void duplicateTokensAreRefused() {
    refused("{\"tokens\": [{\"name\": \"a\", \"sha256\": \"" + SHA + "\", \"scopes\": [\"read\"]}, {\"name\": \"b\","
        + " \"sha256\": \"" + SHA.toUpperCase(java.util.Locale.ROOT) + "\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("tokens[1] ('b')").hasMessageContaining("same sha256 as token 'a'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "a:b", "semi;colon"})
  void invalidNamesAreRefused(String name) {
    refused("{\"users\": [{\"name\": \"" + name + "\", \"password\": \"" + HASH + "\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("users[0]").hasMessageContaining("invalid name");
  }

  @Test
  void aMissingNameIsRefused() {
    refused("{\"users\": [{\"password\": \"" + HASH + "\", \"scopes\": [\"read\"]}]}")
        .hasMessageContaining("needs a \"name\"");
  }

  @Test
  void malformedJsonIsRefusedWithoutQuotingIt() {
    refused("{\"users\": [{\"name\": \"bob\", \"password\": hunter2}]}")
        .hasMessageContaining("not valid JSON (line 1").hasMessageNotContaining("hunter2");
    refused("[]").hasMessageContaining("must be a JSON object");
    refused("{\"users\": {}}").hasMessageContaining("users: must be a list");
    refused("{\"users\": [\"bob\"]}").hasMessageContaining("users[0]: must be an object");
    refused("{\"users\": [], \"users\": []}").hasMessageContaining("a key is repeated");
    refused("{} {}").hasMessageContaining("not valid JSON");
  }

  @Test
  void aMissingOrUnreadableFileIsRefused() throws Exception {
    Path missing = dir.resolve("missing.json");
    assertThatThrownBy(() -> AuthFile.load(missing)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("auth file " + missing + " does not exist");
    assertThatThrownBy(() -> AuthFile.load(dir)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("auth file " + dir + " cannot be read");
    Path latin1 = Files.write(dir.resolve("latin1.json"), new byte[] {'{', (byte) 0xE9, '}'});
    assertThatThrownBy(() -> AuthFile.load(latin1)).hasMessageContaining("not UTF-8");
    if (!System.getProperty("user.name").equals("root")) {
      Path locked = AuthFixture.write(dir);
      Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
      assertThatThrownBy(() -> AuthFile.load(locked)).hasMessageContaining("cannot be read");
    }
  }
}
