package dev.quiver.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * The auth file of the auth tests. Hashes use bcrypt cost 4 to keep the tests quick (the server
 * warns about it at start-up).
 *
 * <ul>
 *   <li>alice / {@value #ALICE_PASSWORD}: read, write:uploads/*
 *   <li>reader / {@value #READER_PASSWORD}: read
 *   <li>boss / {@value #BOSS_PASSWORD}: admin
 *   <li>limited / {@value #LIMITED_PASSWORD}: read:sales/*
 *   <li>token "ci" ({@value #CI_TOKEN}): admin
 *   <li>token "uploader" ({@value #UPLOADER_TOKEN}): write:uploads/*, read:uploads/**
 * </ul>
 */
public final class AuthFixture {
  public static final String ALICE_PASSWORD = "alice: s3cret pässword";
  public static final String READER_PASSWORD = "reader-pw";
  public static final String BOSS_PASSWORD = "boss-pw";
  public static final String LIMITED_PASSWORD = "limited-pw";
  public static final String CI_TOKEN = "qvr_ci-token-0123456789abcdefghijklmnopqrstuvw";
  public static final String UPLOADER_TOKEN = "qvr_uploader-token-0123456789abcdefghijklmnopq";

  private AuthFixture() {}

  public static String bcrypt(String password, int cost) {
    byte[] salt = new byte[16];
    new SecureRandom().nextBytes(salt);
    return OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, cost);
  }

  public static String json() {
    return """
        {
          "users": [
            {"name": "alice", "password": "%s", "scopes": ["read", "write:uploads/*"]},
            {"name": "reader", "password": "%s", "scopes": ["read"]},
            {"name": "boss", "password": "%s", "scopes": ["admin"]},
            {"name": "limited", "password": "%s", "scopes": ["read:sales/*"]}
          ],
          "tokens": [
            {"name": "ci", "sha256": "%s", "scopes": ["admin"]},
            {"name": "uploader", "sha256": "%s", "scopes": ["write:uploads/*", "read:uploads/**"]}
          ]
        }
        """.formatted(bcrypt(ALICE_PASSWORD, 4), bcrypt(READER_PASSWORD, 4), bcrypt(BOSS_PASSWORD, 4),
        bcrypt(LIMITED_PASSWORD, 4), Secrets.sha256Hex(CI_TOKEN), Secrets.sha256Hex(UPLOADER_TOKEN));
  }

  /** Writes the file into {@code dir} as {@code auth.json}. */
  public static Path write(Path dir) throws IOException {
    return Files.writeString(dir.resolve("auth.json"), json(), StandardCharsets.UTF_8);
  }

  public static AuthFile load(Path dir) throws IOException {
    return AuthFile.load(write(dir));
  }

  public static String basic(String user, String password) {
    return "Basic " + java.util.Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
