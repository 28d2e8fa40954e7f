package dev.quiver.server.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine;

/** Parses durations such as {@code 500ms}, {@code 30s}, {@code 5m}, {@code 12h}, or ISO-8601 {@code PT30S}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  public static Duration parse(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (text.startsWith("p")) {
        return Duration.parse(text.toUpperCase(Locale.ROOT));
      }
      String[][] units = {{"ms", "MILLIS"}, {"s", "SECONDS"}, {"m", "MINUTES"}, {"h", "HOURS"}, {"d", "DAYS"}};
      for (String[] unit : units) {
        if (text.endsWith(unit[0])) {
          long amount = Long.parseLong(text.substring(0, text.length() - unit[0].length()).trim());
          if (amount < 0) {
            break;
          }
          return Duration.of(amount, java.time.temporal.ChronoUnit.valueOf(unit[1]));
        }
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      // fall through to the error below
    }
    throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use e.g. 500ms, 30s, 5m, 12h");
  }
}
