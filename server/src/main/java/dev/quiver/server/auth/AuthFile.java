package dev.quiver.server.auth;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quiver.protocol.ProtocolException;
import dev.quiver.protocol.StrictJson;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The users and API tokens of an auth file ({@code --auth-file}), read once at start-up (edit it
 * and restart the server to change them). A JSON object:
 *
 * <pre>{@code
 * {
 *   "users": [
 *     {"name": "alice", "password": "$2y$12$...", "scopes": ["read", "write:uploads/*"]}
 *   ],
 *   "tokens": [
 *     {"name": "ci", "sha256": "<64 hex digits>", "scopes": ["admin"]}
 *   ]
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code users}: who may log in with HTTP basic credentials. {@code password} is a bcrypt
 *       hash ({@code $2a$}, {@code $2b$} or {@code $2y$}), never the password itself: make one with
 *       {@code java -jar quiver-server.jar hash-password}.
 *   <li>{@code tokens}: static API tokens, sent as {@code authorization: Bearer <token>}. The file
 *       holds only the SHA-256 of each token (hex): make a token and its line with
 *       {@code java -jar quiver-server.jar hash-token}.
 *   <li>{@code name}: letters, digits and {@code . _ @ -}, at most 128, unique across users and
 *       tokens; it names the principal in logs and error messages.
 *   <li>{@code scopes}: at least one {@link Grant}: {@code read}, {@code write} or {@code admin},
 *       optionally limited to the dataset names matching a glob: {@code write:uploads/*}
 *       ({@code *} within one path segment, {@code **} across segments).
 * </ul>
 *
 * Both lists are optional, but the file must define at least one user or token. Anything else
 * (unknown keys, a bad scope, a plaintext password, a duplicate name or token) is refused with a
 * message naming the file, the entry and the problem, and never quoting a password.
 */
public final class AuthFile {
  /** A user who logs in with basic credentials. */
  public record User(String name, String bcryptHash, int cost, List<Grant> grants) {
    public Principal principal() {
      return new Principal(name, grants);
    }
  }

  /** A static API token, known by its SHA-256 only. */
  public record Token(String name, byte[] sha256, List<Grant> grants) {
    public Principal principal() {
      return new Principal(name, grants);
    }
  }

  /** bcrypt costs below this are accepted with a warning. */
  public static final int RECOMMENDED_COST = 10;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,128}");
  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");
  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");

  private final Path path;
  private final List<User> users;
  private final List<Token> tokens;

  private AuthFile(Path path, List<User> users, List<Token> tokens) {
    this.path = path;
    this.users = List.copyOf(users);
    this.tokens = List.copyOf(tokens);
  }

  public Path path() {
    return path;
  }

  public List<User> users() {
    return users;
  }

  public List<Token> tokens() {
    return tokens;
  }

  /** @throws IllegalArgumentException if {@code name} is not a valid user or token name */
  static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid name '" + Secrets.printable(name)
          + "': use 1 to 128 letters, digits and . _ @ -");
    }
  }

  /**
   * Reads and checks {@code path}.
   *
   * @throws IllegalArgumentException naming the file, the entry and what is wrong with it
   */
  public static AuthFile load(Path path) {
    String text;
    try {
      byte[] bytes = Files.readAllBytes(path);
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("auth file " + path + " does not exist");
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("auth file " + path + " is not UTF-8 text");
    } catch (IOException e) {
      throw new IllegalArgumentException("auth file " + path + " cannot be read: " + e, e);
    }
    return parse(path, text);
  }

  /** Checks {@code text}, the content of {@code path} (which only names it in messages). */
  static AuthFile parse(Path path, String text) {
    return new Parser(path).parse(text);
  }

  private static final class Parser {
    private final Path path;
    private final Map<String, String> names = new HashMap<>();
    private final Map<String, String> hashes = new HashMap<>();

    Parser(Path path) {
      this.path = path;
    }

    private IllegalArgumentException problem(String where, String what) {
      return new IllegalArgumentException("auth file " + path + ": " + (where == null ? "" : where + ": ") + what);
    }

    AuthFile parse(String text) {
      JsonNode root;
      try {
        root = StrictJson.MAPPER.readTree(text);
      } catch (JsonProcessingException e) {
        // Jackson's own message may quote the offending text (an unquoted password, say): only say where.
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        String kind = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
            ? "a key is repeated" : "not valid JSON";
        throw problem(null, kind + where);
      }
      if (!(root instanceof ObjectNode object)) {
        throw problem(null, "must be a JSON object with \"users\" and/or \"tokens\"");
      }
      allowOnly(object, List.of("users", "tokens"), null);
      List<User> users = new ArrayList<>();
      List<Token> tokens = new ArrayList<>();
      for (ObjectNode entry : entries(object, "users")) {
        users.add(user(entry, "users[" + users.size() + "]"));
      }
      for (ObjectNode entry : entries(object, "tokens")) {
        tokens.add(token(entry, "tokens[" + tokens.size() + "]"));
      }
      if (users.isEmpty() && tokens.isEmpty()) {
        throw problem(null, "defines no users and no tokens, so nobody could call the server;"
            + " add some, or leave out --auth-file to turn authentication off");
      }
      return new AuthFile(path, users, tokens);
    }

    private List<ObjectNode> entries(ObjectNode object, String key) {
      JsonNode list = object.get(key);
      if (list == null) {
        return List.of();
      }
      if (!(list instanceof ArrayNode array)) {
        throw problem(key, "must be a list of objects");
      }
      List<ObjectNode> entries = new ArrayList<>();
      for (JsonNode node : array) {
        if (!(node instanceof ObjectNode entry)) {
          throw problem(key + "[" + entries.size() + "]", "must be an object");
        }
        entries.add(entry);
      }
      return entries;
    }

    private User user(ObjectNode entry, String where) {
      String name = name(entry, where);
      where = where + " ('" + name + "')";
      allowOnly(entry, List.of("name", "password", "scopes"), where);
      JsonNode password = entry.get("password");
      if (password == null || !password.isTextual()) {
        throw problem(where, "needs \"password\": the bcrypt hash of the password (make one with"
            + " `java -jar quiver-server.jar hash-password`)");
      }
      Matcher bcrypt = BCRYPT.matcher(password.asText());
      if (!bcrypt.matches()) {
        // Never quote the value: it may well be the password itself.
        throw problem(where, "\"password\" is not a bcrypt hash ($2y$<cost>$ followed by 53 characters); the file"
            + " stores hashes, never passwords: make one with `java -jar quiver-server.jar hash-password`");
      }
      int cost = Integer.parseInt(bcrypt.group(1));
      if (cost < 4 || cost > 31) {
        throw problem(where, "\"password\" has bcrypt cost " + cost + "; costs run from 4 to 31");
      }
      return new User(name, password.asText(), cost, grants(entry, where));
    }

    private Token token(ObjectNode entry, String where) {
      String name = name(entry, where);
      where = where + " ('" + name + "')";
      allowOnly(entry, List.of("name", "sha256", "scopes"), where);
      JsonNode sha = entry.get("sha256");
      if (sha == null || !sha.isTextual() || !SHA256_HEX.matcher(sha.asText()).matches()) {
        throw problem(where, "needs \"sha256\": the SHA-256 of the token as 64 hex digits (the file never holds the"
            + " token itself; `java -jar quiver-server.jar hash-token` makes a token and its hash)");
      }
      String hex = sha.asText().toLowerCase(Locale.ROOT);
      String other = hashes.putIfAbsent(hex, name);
      if (other != null) {
        throw problem(where, "has the same sha256 as token '" + other + "': each token must be different");
      }
      return new Token(name, HexFormat.of().parseHex(hex), grants(entry, where));
    }

    private String name(ObjectNode entry, String where) {
      JsonNode name = entry.get("name");
      if (name == null || !name.isTextual()) {
        throw problem(where, "needs a \"name\"");
      }
      String text = name.asText();
      if (!NAME.matcher(text).matches()) {
        throw problem(where, "invalid name: use 1 to 128 letters, digits and . _ @ -");
      }
      String other = names.putIfAbsent(text, where);
      if (other != null) {
        throw problem(where, "the name '" + text + "' is already used by " + other
            + "; names must be unique across users and tokens");
      }
      return text;
    }

    private List<Grant> grants(ObjectNode entry, String where) {
      JsonNode scopes = entry.get("scopes");
      if (scopes == null || !scopes.isArray() || scopes.isEmpty()) {
        throw problem(where, "needs \"scopes\": a non-empty list such as [\"read\", \"write:uploads/*\"]");
      }
      List<Grant> grants = new ArrayList<>();
      for (JsonNode scope : scopes) {
        if (!scope.isTextual()) {
          throw problem(where, "every scope must be a string such as \"read\" or \"write:uploads/*\"");
        }
        try {
          grants.add(Grant.parse(scope.asText()));
        } catch (IllegalArgumentException e) {
          throw problem(where, e.getMessage());
        }
      }
      return grants;
    }

    private void allowOnly(ObjectNode object, List<String> allowed, String where) {
      try {
        StrictJson.allowOnly(object, allowed, where == null ? "the file" : "the entry");
      } catch (ProtocolException e) {
        throw problem(where, e.getMessage());
      }
    }
  }
}
