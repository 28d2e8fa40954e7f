package dev.quiver.protocol;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The name of a dataset: one or more {@code /}-separated segments, for example {@code sales/2024}.
 *
 * <p>A name maps to a file path under the server's data root, so every rule here exists to keep a
 * name from ever meaning a file outside it: no empty segments, no {@code .} or {@code ..}, no
 * backslashes, no control characters, and no leading {@code /} (which would read as absolute).
 */
public final class DatasetName implements Comparable<DatasetName> {
  /** Longest name accepted, in characters; far beyond any real path, small enough to log. */
  public static final int MAX_LENGTH = 1024;

  private final List<String> segments;
  private final String text;

  private DatasetName(List<String> segments) {
    this.segments = Collections.unmodifiableList(segments);
    this.text = String.join("/", segments);
  }

  /**
   * Parses a {@code /}-separated name.
   *
   * @throws ProtocolException if the name is empty or has a segment that is not allowed
   */
  public static DatasetName parse(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new ProtocolException("dataset name is empty");
    }
    if (name.startsWith("/")) {
      throw new ProtocolException(
          "invalid dataset name '" + printable(name) + "': names are relative to the data root and must not start with '/'");
    }
    return of(List.of(name.split("/", -1)), name);
  }

  /**
   * Builds a name from path-descriptor segments, as in {@code FlightDescriptor.path("sales", "2024")}.
   * A segment may itself contain {@code /}: {@code path("sales/2024")} names the same dataset.
   */
  public static DatasetName of(List<String> segments) {
    Objects.requireNonNull(segments, "segments");
    if (segments.isEmpty()) {
      throw new ProtocolException("dataset name is empty: the path descriptor has no segments");
    }
    for (String segment : segments) {
      if (segment == null) {
        throw new ProtocolException("dataset name has a missing (null) path segment");
      }
    }
    return parse(String.join("/", segments));
  }

  private static DatasetName of(List<String> segments, String original) {
    if (segments.isEmpty()) {
      throw new ProtocolException("dataset name is empty");
    }
    if (original.length() > MAX_LENGTH) {
      throw new ProtocolException(
          "invalid dataset name: " + original.length() + " characters, at most " + MAX_LENGTH + " allowed");
    }
    List<String> copy = new ArrayList<>(segments.size());
    for (String segment : segments) {
      String problem = problemWith(segment);
      if (problem != null) {
        throw new ProtocolException("invalid dataset name '" + printable(original) + "': " + problem);
      }
      copy.add(segment);
    }
    return new DatasetName(copy);
  }

  private static String problemWith(String segment) {
    if (segment == null || segment.isEmpty()) {
      return "empty path segment (names look like 'sales' or 'sales/2024')";
    }
    if (segment.equals(".") || segment.equals("..")) {
      return "'" + segment + "' segments are not allowed";
    }
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      if (c == '\\') {
        return "'\\' is not allowed; separate segments with '/'";
      }
      if (Character.isISOControl(c)) {
        return "control characters are not allowed";
      }
    }
    if (!Utf16.isWellFormed(segment)) {
      // Reachable through JSON escapes only; such a name could not even be turned into a path.
      // Found by fuzzing (DatasetNameFuzzTest).
      return "an unpaired UTF-16 surrogate (a lone \\uD800-\\uDFFF escape) is not a character";
    }
    return null;
  }

  /** Replaces control characters so a hostile name cannot forge log lines or error text. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 200));
    for (int i = 0; i < s.length() && i < 200; i++) {
      char c = s.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    if (s.length() > 200) {
      sb.append("...");
    }
    return sb.toString();
  }

  public List<String> segments() {
    return segments;
  }

  /** The last segment: the file name without its extension. */
  public String leaf() {
    return segments.get(segments.size() - 1);
  }

  @Override
  public int compareTo(DatasetName other) {
    return text.compareTo(other.text);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DatasetName && ((DatasetName) o).text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }

  /** The {@code /}-joined name, as it appears in tickets, listings and error messages. */
  @Override
  public String toString() {
    return text;
  }
}
