package dev.quiver.server.config;

import java.util.Locale;
import picocli.CommandLine;

/** Parses sizes such as {@code 1048576}, {@code 64KiB}, {@code 256MiB}, {@code 2g} for command-line options. */
public final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    return parse(value);
  }

  public static long parse(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT).replace("_", "");
    long multiplier = 1;
    String[][] units = {{"kib", "1024"}, {"mib", "1048576"}, {"gib", "1073741824"},
        {"kb", "1024"}, {"mb", "1048576"}, {"gb", "1073741824"},
        {"k", "1024"}, {"m", "1048576"}, {"g", "1073741824"}, {"b", "1"}};
    for (String[] unit : units) {
      if (text.endsWith(unit[0])) {
        multiplier = Long.parseLong(unit[1]);
        text = text.substring(0, text.length() - unit[0].length()).trim();
        break;
      }
    }
    try {
      long number = Long.parseLong(text);
      if (number < 0) {
        throw new CommandLine.TypeConversionException("'" + value + "' must not be negative");
      }
      return Math.multiplyExact(number, multiplier);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a size; write bytes or use KiB, MiB, GiB (e.g. 256MiB)");
    }
  }
}
