package dev.quiver.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code hash-password} and {@code hash-token}: what they print is what the auth file takes. */
class HashCommandsTest {
  private record Run(int exit, String out, String err) {}

  private static Run run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine line = new CommandLine(command).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
    int exit = line.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  private static Run hashPassword(String stdin, String... args) {
    return run(new HashPasswordCommand(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8))), args);
  }

  @Test
  void hashPasswordPrintsABcryptHashOfTheFirstLine() {
    Run run = hashPassword("pässword 1\nignored\n", "--cost", "10");
    assertThat(run.exit()).isZero();
    String hash = run.out().strip();
    assertThat(hash).startsWith("$2y$10$").hasSize(60).doesNotContain("pässword");
    assertThat(OpenBSDBCrypt.checkPassword(hash, "pässword 1".toCharArray())).isTrue();
    assertThat(OpenBSDBCrypt.checkPassword(hash, "pässword 1\n".toCharArray())).isFalse();
    String json = "{\"users\": [{\"name\": \"u\", \"password\": \"" + hash + "\", \"scopes\": [\"read\"]}]}";
    assertThat(AuthFile.parse(Path.of("auth.json"), json).users().get(0).cost()).isEqualTo(10);
  }

  @Test
  void hashPasswordUsesCost12ByDefaultAndTakesAWindowsLineEnd() {
    Run run = hashPassword("pw\r\n");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).startsWith("$2y$12$");
    assertThat(OpenBSDBCrypt.checkPassword(run.out().strip(), "pw".toCharArray())).isTrue();
  }

  @Test
  void hashPasswordRefusesWeakCostsAndBadPasswords() {
    Run weak = hashPassword("pw\n", "--cost", "4");
    assertThat(weak.exit()).isEqualTo(2);
    assertThat(weak.err()).contains("--cost must be between 10 and 31");
    Run empty = hashPassword("\n", "--cost", "10");
    assertThat(empty.exit()).isEqualTo(1);
    assertThat(empty.err()).contains("empty");
    Run none = hashPassword("", "--cost", "10");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("no password");
    Run tooLong = hashPassword("x".repeat(73) + "\n", "--cost", "10");
    assertThat(tooLong.exit()).isEqualTo(1);
    assertThat(tooLong.err()).contains("72 bytes");
    assertThat(tooLong.out()).isEmpty();
  }

  @Test
  void hashTokenPrintsATokenAndTheEntryForIt() throws Exception {
    Run run = run(new HashTokenCommand(), "--name", "ci", "--scope", "read,write:uploads/*", "--scope", "admin");
    assertThat(run.exit()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(2);
    String token = lines.get(0);
    assertThat(token).startsWith("qvr_").hasSize(47);
    assertThat(lines.get(1)).doesNotContain(token);
    AuthFile file = AuthFile.parse(Path.of("auth.json"), "{\"tokens\": [" + lines.get(1) + "]}");
    assertThat(file.tokens().get(0).grants()).extracting(Grant::toString)
        .containsExactly("read", "write:uploads/*", "admin");
    Principal ci = new FileAuthenticator(file, java.time.Duration.ofHours(1))
        .authenticate(headers("Bearer " + token));
    assertThat(ci.name()).isEqualTo("ci");
  }

  @Test
  void hashTokenMakesADifferentTokenEachTimeAndChecksItsOptions() {
    assertThat(run(new HashTokenCommand()).out()).isNotEqualTo(run(new HashTokenCommand()).out())
        .contains("\"name\":\"api-token\"", "\"scopes\":[\"read\"]");
    Run badScope = run(new HashTokenCommand(), "--scope", "delete");
    assertThat(badScope.exit()).isEqualTo(2);
    assertThat(badScope.err()).contains("unknown scope 'delete'");
    Run badName = run(new HashTokenCommand(), "--name", "a b");
    assertThat(badName.exit()).isEqualTo(2);
    assertThat(badName.err()).contains("invalid name");
  }

  private static io.grpc.Metadata headers(String authorization) {
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(FileAuthenticator.AUTHORIZATION, authorization);
    return headers;
  }
}
