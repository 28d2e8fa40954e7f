package dev.quiver.protocol;

/**
 * A check on text that came out of JSON, whose {@code \\uXXXX} escapes can spell half of a
 * surrogate pair: a Java string, but no character, with no UTF-8 form. Such text cannot become a
 * file path (the JDK refuses to build the Path) and does not survive being written back as UTF-8.
 */
final class Utf16 {
  private Utf16() {}

  /** Whether every surrogate in {@code text} is part of a high-low pair. */
  static boolean isWellFormed(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
