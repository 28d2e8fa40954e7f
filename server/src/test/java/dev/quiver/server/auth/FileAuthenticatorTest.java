package dev.quiver.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAuthenticatorTest {
  private static final Duration TTL = Duration.ofMinutes(10);

  @TempDir Path dir;
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
  private FileAuthenticator authenticator;

  @BeforeEach
  void load() throws Exception {
    authenticator = new FileAuthenticator(AuthFixture.load(dir), TTL, now::get);
  }

  private static Metadata headers(String... authorization) {
    Metadata headers = new Metadata();
    for (String value : authorization) {
      headers.put(FileAuthenticator.AUTHORIZATION, value);
    }
    return headers;
  }

  private Principal authenticate(String... authorization) throws UnauthenticatedException {
    return authenticator.authenticate(headers(authorization));
  }

  private org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> refused(String... authorization) {
    return assertThatThrownBy(() -> authenticate(authorization)).isInstanceOf(UnauthenticatedException.class);
  }

  @Test
  void noCredentialsSayWhatToSend() {
    refused().hasMessageContaining("no credentials").hasMessageContaining("authorization: Bearer <token>")
        .hasMessageContaining("Basic");
  }

  @Test
  void basicCredentialsOfAUser() throws Exception {
    Principal alice = authenticate(AuthFixture.basic("alice", AuthFixture.ALICE_PASSWORD));
    assertThat(alice.name()).isEqualTo("alice");
    assertThat(alice.grants()).extracting(Grant::toString).containsExactly("read", "write:uploads/*");
    assertThat(authenticate("basic " + AuthFixture.basic("boss", AuthFixture.BOSS_PASSWORD).substring(6)).name())
        .as("the scheme is case-insensitive").isEqualTo("boss");
  }

  @Test
  void aWrongPasswordOrUnknownUserIsRefusedAlike() {
    refused(AuthFixture.basic("alice", "wrong")).hasMessage(FileAuthenticator.WRONG_PASSWORD)
        .extracting(e -> ((UnauthenticatedException) e).user()).isEqualTo("alice");
    refused(AuthFixture.basic("mallory", AuthFixture.ALICE_PASSWORD)).hasMessage(FileAuthenticator.WRONG_PASSWORD)
        .extracting(e -> ((UnauthenticatedException) e).user()).isEqualTo("mallory");
    refused(AuthFixture.basic("alice", "")).hasMessage(FileAuthenticator.WRONG_PASSWORD);
    refused(AuthFixture.basic("alice", AuthFixture.ALICE_PASSWORD + "x")).hasMessage(FileAuthenticator.WRONG_PASSWORD);
    refused(AuthFixture.basic("reader", AuthFixture.ALICE_PASSWORD)).as("another user's password")
        .hasMessage(FileAuthenticator.WRONG_PASSWORD);
  }

  @Test
  void malformedBasicCredentialsAreRefusedWithoutQuotingThem() {
    refused("Basic not*base64").hasMessageContaining("malformed basic credentials")
        .hasMessageNotContaining("not*base64");
    String noColon = Base64.getEncoder().encodeToString("alicepassword".getBytes(StandardCharsets.UTF_8));
    refused("Basic " + noColon).hasMessageContaining("user:password").hasMessageNotContaining("alicepassword");
    String latin1 = Base64.getEncoder().encodeToString(new byte[] {'a', ':', (byte) 0xE9});
    refused("Basic " + latin1).hasMessageContaining("not UTF-8");
  }

  @Test
  void otherSchemesAndBareSecretsAreRefusedWithoutQuotingThem() {
    refused(AuthFixture.CI_TOKEN).hasMessageContaining("neither 'Bearer <token>' nor 'Basic")
        .hasMessageNotContaining(AuthFixture.CI_TOKEN);
    refused("Digest username=x").hasMessageContaining("neither");
    refused("Bearer ").hasMessageContaining("empty bearer token");
  }

  @Test
  void twoAuthorizationHeadersAreRefused() {
    refused("Bearer " + AuthFixture.CI_TOKEN, AuthFixture.basic("alice", AuthFixture.ALICE_PASSWORD))
        .hasMessageContaining("more than one authorization header");
  }

  @Test
  void staticApiTokens() throws Exception {
    assertThat(authenticate("Bearer " + AuthFixture.CI_TOKEN).name()).isEqualTo("ci");
    Principal uploader = authenticate("bearer  " + AuthFixture.UPLOADER_TOKEN);
    assertThat(uploader.name()).isEqualTo("uploader");
    assertThat(uploader.grants()).extracting(Grant::toString).containsExactly("write:uploads/*", "read:uploads/**");
  }

  @Test
  void wrongOrUnknownTokensAreRefusedWithoutQuotingThem() {
    String wrong = AuthFixture.CI_TOKEN.substring(0, AuthFixture.CI_TOKEN.length() - 1) + "X";
    refused("Bearer " + wrong).hasMessage(FileAuthenticator.UNKNOWN_TOKEN).hasMessageNotContaining(wrong);
    refused("Bearer " + Secrets.sha256Hex(AuthFixture.CI_TOKEN)).as("the hash is not the token")
        .hasMessage(FileAuthenticator.UNKNOWN_TOKEN);
  }

  @Test
  void issuedTokensStandForTheUserUntilTheyExpire() throws Exception {
    Principal alice = authenticate(AuthFixture.basic("alice", AuthFixture.ALICE_PASSWORD));
    Authenticator.IssuedToken issued = authenticator.issueToken(alice);
    assertThat(issued.lifetime()).isEqualTo(TTL);
    assertThat(issued.token()).startsWith("qvr_").hasSize(4 + 43);
    assertThat(issued.toString()).doesNotContain(issued.token());
    assertThat(authenticate("Bearer " + issued.token())).isSameAs(alice);

    now.set(now.get().plus(TTL).minusSeconds(1));
    assertThat(authenticate("Bearer " + issued.token()).name()).isEqualTo("alice");
    now.set(now.get().plusSeconds(1));
    refused("Bearer " + issued.token()).hasMessage(FileAuthenticator.EXPIRED_TOKEN)
        .hasMessageContaining("authenticate again").hasMessageNotContaining(issued.token());
    refused("Bearer " + issued.token()).as("forgotten once expired").hasMessage(FileAuthenticator.UNKNOWN_TOKEN);
  }

  @Test
  void everyIssuedTokenIsNewAndStoredOnlyAsAHash() throws Exception {
    Principal reader = authenticate(AuthFixture.basic("reader", AuthFixture.READER_PASSWORD));
    String first = authenticator.issueToken(reader).token();
    String second = authenticator.issueToken(reader).token();
    assertThat(first).isNotEqualTo(second);
    assertThat(authenticate("Bearer " + first).name()).isEqualTo("reader");
    assertThat(authenticate("Bearer " + second).name()).isEqualTo("reader");
    assertThat(authenticator.issuedTokens()).isEqualTo(2);
  }

  @Test
  void expiredTokensAreSweptWhenNewOnesAreIssued() throws Exception {
    Principal reader = authenticate(AuthFixture.basic("reader", AuthFixture.READER_PASSWORD));
    for (int i = 0; i < 5; i++) {
      authenticator.issueToken(reader);
    }
    assertThat(authenticator.issuedTokens()).isEqualTo(5);
    now.set(now.get().plus(TTL).plusSeconds(61));
    authenticator.issueToken(reader);
    assertThat(authenticator.issuedTokens()).isEqualTo(1);
  }

  @Test
  void aServerWithOnlyTokensRefusesBasicCredentials() throws Exception {
    FileAuthenticator tokensOnly = new FileAuthenticator(AuthFile.parse(Path.of("t.json"),
        "{\"tokens\": [{\"name\": \"ci\", \"sha256\": \"" + Secrets.sha256Hex("tok") + "\", \"scopes\": [\"read\"]}]}"),
        TTL);
    assertThatThrownBy(() -> tokensOnly.authenticate(headers(AuthFixture.basic("alice", "x"))))
        .hasMessage(FileAuthenticator.WRONG_PASSWORD);
    assertThat(tokensOnly.authenticate(headers("Bearer tok")).name()).isEqualTo("ci");
  }
}
