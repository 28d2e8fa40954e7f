package dev.quiver.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Token generation and hashing. Tokens are compared only as SHA-256 digests, in constant time. */
final class Secrets {
  /** Prefix of the tokens Quiver makes, so secret scanners and people recognize them. */
  static final String TOKEN_PREFIX = "qvr_";

  private static final SecureRandom RANDOM = new SecureRandom();

  private Secrets() {}

  /** A new token: {@value #TOKEN_PREFIX} and 32 random bytes, base64url without padding. */
  static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** 16 random bytes, for a bcrypt salt. */
  static byte[] salt() {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return salt;
  }

  static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static String sha256Hex(String token) {
    return HexFormat.of().formatHex(sha256(token));
  }

  /** Constant-time comparison of two digests. */
  static boolean same(byte[] a, byte[] b) {
    return MessageDigest.isEqual(a, b);
  }

  /** {@code text} fit for a log line: control characters replaced, at most 64 characters. */
  static String printable(String text) {
    if (text == null) {
      return "-";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), 65));
    text.codePoints().limit(64).forEach(c -> out.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    if (text.codePointCount(0, text.length()) > 64) {
      out.append('…');
    }
    return out.toString();
  }
}
