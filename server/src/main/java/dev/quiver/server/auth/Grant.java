package dev.quiver.server.auth;

import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.Locale;
import java.util.regex.PatternSyntaxException;

/**
 * One permission: a scope over the dataset names matching a glob ({@code *} within a segment,
 * {@code **} across segments), or over every name. Written {@code read}, {@code write:uploads/*},
 * {@code admin}.
 */
public final class Grant {
  private final Scope scope;
  private final String pattern;
  private final PathMatcher matcher;

  private Grant(Scope scope, String pattern) {
    this.scope = scope;
    this.pattern = pattern;
    try {
      this.matcher = pattern == null ? null : FileSystems.getDefault().getPathMatcher("glob:" + pattern);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("invalid name pattern '" + pattern + "': " + e.getDescription(), e);
    }
  }

  /**
   * Parses {@code scope} or {@code scope:pattern}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Grant parse(String text) {
    String trimmed = text.strip();
    int colon = trimmed.indexOf(':');
    String scopeText = colon < 0 ? trimmed : trimmed.substring(0, colon);
    String pattern = colon < 0 ? null : trimmed.substring(colon + 1);
    Scope scope;
    try {
      scope = Scope.valueOf(scopeText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown scope '" + scopeText + "' in '" + text
          + "': use read, write or admin, optionally followed by :PATTERN", e);
    }
    if (pattern != null && pattern.isEmpty()) {
      throw new IllegalArgumentException("empty name pattern in '" + text + "'; leave out ':' for every dataset");
    }
    return new Grant(scope, pattern);
  }

  public static Grant all(Scope scope) {
    return new Grant(scope, null);
  }

  /** Whether this grant allows {@code wanted} on {@code name} ({@code admin} allows everything). */
  public boolean allows(Scope wanted, DatasetName name) {
    return (scope == wanted || scope == Scope.ADMIN) && covers(name);
  }

  /** Whether this grant allows {@code wanted} on every dataset (server-wide actions). */
  public boolean allowsEverywhere(Scope wanted) {
    return (scope == wanted || scope == Scope.ADMIN) && pattern == null;
  }

  private boolean covers(DatasetName name) {
    if (matcher == null) {
      return true;
    }
    try {
      return matcher.matches(Path.of(name.toString()));
    } catch (ProtocolException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return pattern == null ? scope.label() : scope.label() + ":" + pattern;
  }
}
