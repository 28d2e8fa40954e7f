package dev.quiver.cli;

import java.util.Locale;

/** Numbers as people read them: {@code 1.9 GiB}, {@code 10,000}, {@code 0.42 s}. Locale-independent, so output is the same everywhere. */
final class Format {
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private Format() {}

  /** A byte count in binary units with one decimal ({@code 512 B}, {@code 1.9 GiB}); {@code ?} if unknown (negative). */
  static String bytes(long bytes) {
    if (bytes < 0) {
      return "?";
    }
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = 0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    // 1023.96 KiB would print as "1024.0 KiB": move up a unit instead.
    if (Math.round(value * 10) >= 10240 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }

  /** A count with thousands separators ({@code 10,000}); {@code ?} if unknown (negative). */
  static String count(long n) {
    return n < 0 ? "?" : String.format(Locale.ROOT, "%,d", n);
  }

  /** Seconds with two decimals. */
  static String seconds(double seconds) {
    return String.format(Locale.ROOT, "%.2f s", seconds);
  }

  /** A transfer rate ({@code 45.6 MiB/s}); empty before any time has passed. */
  static String rate(long bytes, double seconds) {
    return seconds <= 0 ? "" : bytes((long) (bytes / seconds)) + "/s";
  }

  /** {@code 1 batch}, {@code 2 batches}: summaries read as sentences. */
  static String plural(long n, String one, String many) {
    return count(n) + " " + (n == 1 ? one : many);
  }
}
