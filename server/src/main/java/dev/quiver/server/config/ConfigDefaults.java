package dev.quiver.server.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Where an option not given on the command line gets its value: the environment variable
 * {@code QUIVER_<OPTION>} ({@code --max-streams} is {@code QUIVER_MAX_STREAMS}), else the config
 * file's key {@code <option>} ({@code max-streams = 64}), else the option's built-in default. So
 * the precedence is: flag, environment, config file, default. Values from the environment and the
 * file go through the same converters and checks as flags.
 */
public final class ConfigDefaults implements CommandLine.IDefaultValueProvider {
  private final Map<String, String> environment;
  private final Properties file;
  private final Path filePath;

  private ConfigDefaults(Map<String, String> environment, Properties file, Path filePath) {
    this.environment = environment;
    this.file = file;
    this.filePath = filePath;
  }

  /**
   * Reads the config file, if {@code configFile} (from {@code --config}) or {@code QUIVER_CONFIG}
   * names one.
   *
   * @throws IllegalArgumentException if the file is missing or unreadable
   */
  public static ConfigDefaults load(Path configFile, Map<String, String> environment) {
    Path path = configFile != null ? configFile
        : environment.containsKey("QUIVER_CONFIG") ? Path.of(environment.get("QUIVER_CONFIG")) : null;
    Properties properties = new Properties();
    if (path != null) {
      try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
        properties.load(reader);
      } catch (IOException e) {
        throw new IllegalArgumentException("config file " + path + " cannot be read: " + e.getMessage(), e);
      }
    }
    return new ConfigDefaults(Map.copyOf(environment), properties, path);
  }

  /** The environment variable that sets {@code option} ({@code --max-streams}: {@code QUIVER_MAX_STREAMS}). */
  public static String environmentName(String option) {
    return "QUIVER_" + option.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /** @throws IllegalArgumentException naming any key of the config file that is not an option */
  public void checkFileKeys(Set<String> options) {
    Set<String> unknown = new TreeSet<>();
    for (String key : file.stringPropertyNames()) {
      if (!options.contains("--" + key)) {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("config file " + filePath + " has unknown setting(s) " + unknown
          + "; its keys are option names without the dashes, e.g. max-streams = 64");
    }
  }

  /**
   * Where the value of {@code option} came from when it was not a flag, for error messages:
   * {@code "environment variable QUIVER_MAX_STREAMS"}, {@code "config file /etc/quiver.properties"},
   * or null for a built-in default.
   */
  public String sourceOf(String option) {
    if (environment.containsKey(environmentName(option))) {
      return "environment variable " + environmentName(option);
    }
    if (file.getProperty(option.replaceFirst("^-+", "")) != null) {
      return "config file " + filePath;
    }
    return null;
  }

  /**
   * {@code QUIVER_*} environment variables that set no option (a typo, most likely), leaving out
   * {@code known} others that are read elsewhere (the config file's, the log level's).
   */
  public Set<String> unknownEnvironment(Set<String> options, Set<String> known) {
    Set<String> expected = new TreeSet<>(known);
    options.forEach(option -> expected.add(environmentName(option)));
    Set<String> unknown = new TreeSet<>();
    for (String name : environment.keySet()) {
      if (name.startsWith("QUIVER_") && !expected.contains(name)) {
        unknown.add(name);
      }
    }
    return unknown;
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (!(argSpec instanceof OptionSpec option) || option.longestName().equals("--config")) {
      return argSpec.defaultValue();
    }
    String fromEnvironment = environment.get(environmentName(option.longestName()));
    if (fromEnvironment != null) {
      return fromEnvironment;
    }
    String fromFile = file.getProperty(option.longestName().replaceFirst("^-+", ""));
    if (fromFile != null) {
      return fromFile.strip();
    }
    return argSpec.defaultValue();
  }
}
