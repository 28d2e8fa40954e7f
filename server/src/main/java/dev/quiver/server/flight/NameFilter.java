package dev.quiver.server.flight;

import dev.quiver.protocol.DatasetName;
import dev.quiver.protocol.ProtocolException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.function.Predicate;
import java.util.regex.PatternSyntaxException;

/**
 * The ListFlights criteria: empty lists everything; a glob ({@code sales/*}, {@code **}/2024,
 * {@code s?les}) matches whole names, {@code *} staying within a segment and {@code **} crossing
 * them; anything else is a name prefix.
 */
final class NameFilter {
  private NameFilter() {}

  static Predicate<DatasetName> parse(String criteria) {
    if (criteria.isEmpty()) {
      return name -> true;
    }
    if (criteria.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) {
      PathMatcher matcher;
      try {
        matcher = FileSystems.getDefault().getPathMatcher("glob:" + criteria);
      } catch (PatternSyntaxException e) {
        throw new ProtocolException("invalid glob in ListFlights criteria '" + criteria + "': " + e.getDescription());
      }
      return name -> matcher.matches(Path.of(name.toString()));
    }
    return name -> name.toString().startsWith(criteria);
  }
}
