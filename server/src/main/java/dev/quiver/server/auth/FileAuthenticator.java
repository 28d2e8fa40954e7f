package dev.quiver.server.auth;

import io.grpc.Metadata;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Authenticates calls against an {@link AuthFile}:
 *
 * <ul>
 *   <li>{@code authorization: Basic base64(user:password)}: the password is checked against the
 *       user's bcrypt hash (slow by design, ~0.1 s at cost 10: clients exchange basic credentials for
 *       a bearer token once, with a Handshake, instead of sending them on every call);
 *   <li>{@code authorization: Bearer <token>}: a token this authenticator issued (for basic
 *       credentials, lasting the token TTL) or a static API token of the file.
 * </ul>
 *
 * Tokens are kept only as SHA-256 digests, issued ones in memory (they end when the server
 * restarts), and compared in constant time. Nothing here logs or reports a secret.
 */
public final class FileAuthenticator implements Authenticator {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** At most this many issued tokens are remembered; beyond it the one closest to expiry is dropped. */
  static final int MAX_ISSUED_TOKENS = 100_000;
  private static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

  static final String NO_CREDENTIALS = "no credentials: this server requires authentication; send"
      + " 'authorization: Bearer <token>' (an API token, or the token a Handshake returns for basic credentials,"
      + " e.g. pyarrow's client.authenticate_basic_token) or 'authorization: Basic <base64 of user:password>'";
  static final String WRONG_PASSWORD = "wrong user name or password";
  static final String UNKNOWN_TOKEN = "unknown token: check it, or authenticate again with basic credentials"
      + " (tokens a Handshake returns end when the server restarts)";
  static final String EXPIRED_TOKEN = "token expired: authenticate again (a Handshake with basic credentials,"
      + " e.g. pyarrow's client.authenticate_basic_token, returns a new one)";

  private record Issued(Principal principal, Instant expires) {}

  private final AuthFile file;
  private final Duration ttl;
  private final InstantSource clock;
  private final Map<String, AuthFile.User> users;
  /** A user hash of the highest cost, checked for unknown users so that they take as long as known ones. */
  private final String decoyHash;
  /** Issued tokens by the hex SHA-256 of the token. */
  private final Map<String, Issued> issued = new ConcurrentHashMap<>();
  private volatile Instant lastSweep = Instant.MIN;

  public FileAuthenticator(AuthFile file, Duration ttl) {
    this(file, ttl, InstantSource.system());
  }

  FileAuthenticator(AuthFile file, Duration ttl, InstantSource clock) {
    this.file = file;
    this.ttl = ttl;
    this.clock = clock;
    this.users = file.users().stream().collect(Collectors.toUnmodifiableMap(AuthFile.User::name, Function.identity()));
    this.decoyHash = file.users().stream().max((a, b) -> Integer.compare(a.cost(), b.cost()))
        .map(AuthFile.User::bcryptHash).orElse(null);
  }

  public AuthFile file() {
    return file;
  }

  @Override
  public Principal authenticate(Metadata headers) throws UnauthenticatedException {
    Iterable<String> values = headers.getAll(AUTHORIZATION);
    if (values == null) {
      throw new UnauthenticatedException(NO_CREDENTIALS);
    }
    Iterator<String> it = values.iterator();
    String value = it.next();
    if (it.hasNext()) {
      throw new UnauthenticatedException("more than one authorization header: send exactly one");
    }
    value = value.strip() + " "; // "Bearer" alone is an empty token, not another scheme
    if (startsWithIgnoringCase(value, "Bearer ")) {
      return bearer(value.substring("Bearer ".length()).strip());
    }
    if (startsWithIgnoringCase(value, "Basic ")) {
      return basic(value.substring("Basic ".length()).strip());
    }
    // Never quote the value: it may be a bare token or password.
    throw new UnauthenticatedException("the authorization header is neither 'Bearer <token>' nor"
        + " 'Basic <base64 of user:password>'");
  }

  /** Whether {@code headers} carry basic credentials (a Handshake then issues a token for them). */
  static boolean isBasic(Metadata headers) {
    String value = headers.get(AUTHORIZATION);
    return value != null && startsWithIgnoringCase(value.strip(), "Basic ");
  }

  private static boolean startsWithIgnoringCase(String text, String prefix) {
    return text.regionMatches(true, 0, prefix, 0, prefix.length());
  }

  private Principal bearer(String token) throws UnauthenticatedException {
    if (token.isEmpty()) {
      throw new UnauthenticatedException("empty bearer token: send 'authorization: Bearer <token>'");
    }
    byte[] digest = Secrets.sha256(token);
    // Static tokens: every one is compared, in constant time, whatever matches.
    Principal match = null;
    for (AuthFile.Token candidate : file.tokens()) {
      if (Secrets.same(candidate.sha256(), digest) && match == null) {
        match = candidate.principal();
      }
    }
    if (match != null) {
      return match;
    }
    // Issued tokens: looked up by digest (the digest of a 256-bit random token reveals nothing of it).
    String key = HexFormat.of().formatHex(digest);
    Issued found = issued.get(key);
    if (found == null) {
      throw new UnauthenticatedException(UNKNOWN_TOKEN);
    }
    if (!clock.instant().isBefore(found.expires())) {
      issued.remove(key, found);
      throw new UnauthenticatedException(EXPIRED_TOKEN, found.principal().name());
    }
    return found.principal();
  }

  private Principal basic(String encoded) throws UnauthenticatedException {
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(encoded);
    } catch (IllegalArgumentException e) {
      throw new UnauthenticatedException("malformed basic credentials: expected 'Basic ' and the base64 of"
          + " user:password");
    }
    char[] pair;
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(decoded));
      pair = new char[chars.remaining()];
      chars.get(pair);
      Arrays.fill(chars.array(), '\0');
    } catch (CharacterCodingException e) {
      throw new UnauthenticatedException("malformed basic credentials: user:password is not UTF-8");
    } finally {
      Arrays.fill(decoded, (byte) 0);
    }
    try {
      int colon = indexOf(pair, ':');
      if (colon < 0) {
        throw new UnauthenticatedException("malformed basic credentials: expected the base64 of user:password");
      }
      String name = new String(pair, 0, colon);
      char[] password = Arrays.copyOfRange(pair, colon + 1, pair.length);
      try {
        AuthFile.User user = users.get(name);
        if (user == null) {
          if (decoyHash != null) {
            check(decoyHash, password); // as slow as a known user: the answer does not tell who exists
          }
          throw new UnauthenticatedException(WRONG_PASSWORD, name);
        }
        if (!check(user.bcryptHash(), password)) {
          throw new UnauthenticatedException(WRONG_PASSWORD, name);
        }
        return user.principal();
      } finally {
        Arrays.fill(password, '\0');
      }
    } finally {
      Arrays.fill(pair, '\0');
    }
  }

  private static boolean check(String hash, char[] password) {
    if (password.length == 0) {
      return false;
    }
    try {
      return OpenBSDBCrypt.checkPassword(hash, password);
    } catch (RuntimeException e) {
      return false; // e.g. a password bcrypt cannot take
    }
  }

  private static int indexOf(char[] chars, char c) {
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] == c) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public IssuedToken issueToken(Principal principal) {
    Instant now = clock.instant();
    sweep(now);
    String token = Secrets.newToken();
    issued.put(Secrets.sha256Hex(token), new Issued(principal, now.plus(ttl)));
    return new IssuedToken(token, ttl);
  }

  /** How many issued tokens are remembered (expired ones included until swept). */
  int issuedTokens() {
    return issued.size();
  }

  /** Drops expired tokens (at most once a minute), and the ones closest to expiry beyond the cap. */
  private void sweep(Instant now) {
    if (now.isAfter(lastSweep.plus(SWEEP_INTERVAL)) || issued.size() >= MAX_ISSUED_TOKENS) {
      lastSweep = now;
      issued.entrySet().removeIf(e -> !now.isBefore(e.getValue().expires()));
    }
    while (issued.size() >= MAX_ISSUED_TOKENS) {
      issued.entrySet().stream().min(Map.Entry.comparingByValue((a, b) -> a.expires().compareTo(b.expires())))
          .ifPresent(oldest -> issued.remove(oldest.getKey(), oldest.getValue()));
    }
  }

  @Override
  public String toString() {
    return "FileAuthenticator[" + file.path() + ": " + file.users().size() + " users, " + file.tokens().size()
        + " tokens, token TTL " + ttl.toString().toLowerCase(Locale.ROOT).substring(2) + "]";
  }
}
