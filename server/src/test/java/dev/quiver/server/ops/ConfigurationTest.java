package dev.quiver.server.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quiver.server.config.ConfigDefaults;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option as a flag, an environment variable {@code QUIVER_<OPTION>} and a config-file key,
 * with the precedence flag, environment, file, default; invalid values and unknown keys stop the
 * server before it starts (exit code 2) with a message; {@code --help} lists every option.
 */
class ConfigurationTest {
  @TempDir Path dir;

  private Path configFile(String... lines) throws Exception {
    return Files.writeString(dir.resolve("quiver.properties"), String.join("\n", lines) + "\n",
        StandardCharsets.UTF_8);
  }

  /** Parses {@code args} with {@code environment} and returns the command's option values. */
  private static CommandLine parsed(Map<String, String> environment, String... args) throws Exception {
    CommandLine commandLine = Ops.commandLine(environment, args);
    commandLine.parseArgs(args);
    return commandLine;
  }

  private static Object value(CommandLine commandLine, String option) {
    return commandLine.getCommandSpec().findOption(option).getValue();
  }

  @Test
  void withNothingGivenTheBuiltInDefaultsApply() throws Exception {
    CommandLine cli = parsed(Map.of());
    assertThat(value(cli, "--max-streams")).isEqualTo(256);
    assertThat(value(cli, "--max-uploads")).isEqualTo(16);
    assertThat(value(cli, "--drain-period")).isEqualTo(Duration.ofSeconds(30));
    assertThat(value(cli, "--upload-idle-timeout")).isEqualTo(Duration.ofMinutes(5));
    assertThat(value(cli, "--metrics-port")).isEqualTo(-1);
    assertThat(value(cli, "--tls-cert")).isNull();
  }

  @Test
  void flagOverridesEnvironmentOverridesFileOverridesDefault() throws Exception {
    Path file = configFile(
        "# every layer sets max-streams; fewer layers set the others",
        "max-streams = 11",
        "max-uploads = 3",
        "drain-period = 7s",
        "endpoint-size = 1MiB");
    Map<String, String> environment = Map.of(
        "QUIVER_MAX_STREAMS", "22",
        "QUIVER_MAX_UPLOADS", "4",
        "QUIVER_UPLOAD_IDLE_TIMEOUT", "90s",
        "UNRELATED", "ignored");
    CommandLine cli = parsed(environment, "--config", file.toString(), "--max-streams", "33");
    assertThat(value(cli, "--max-streams")).as("flag over environment and file").isEqualTo(33);
    assertThat(value(cli, "--max-uploads")).as("environment over file").isEqualTo(4);
    assertThat(value(cli, "--upload-idle-timeout")).as("environment over default").isEqualTo(Duration.ofSeconds(90));
    assertThat(value(cli, "--drain-period")).as("file over default").isEqualTo(Duration.ofSeconds(7));
    assertThat(value(cli, "--endpoint-size")).as("file, through the size converter").isEqualTo(1L << 20);
    assertThat(value(cli, "--max-message-size")).as("default").isEqualTo(2L << 30);
  }

  @Test
  void theConfigFileCanComeFromTheEnvironmentAndTheFlagWins() throws Exception {
    Path fromEnvironment = configFile("max-streams = 5");
    Path fromFlag = Files.writeString(dir.resolve("other.properties"), "max-streams = 6\n");
    CommandLine cli = parsed(Map.of("QUIVER_CONFIG", fromEnvironment.toString()));
    assertThat(value(cli, "--max-streams")).isEqualTo(5);
    cli = parsed(Map.of("QUIVER_CONFIG", fromEnvironment.toString()), "--config=" + fromFlag);
    assertThat(value(cli, "--max-streams")).isEqualTo(6);
  }

  @Test
  void everyOptionHasItsEnvironmentVariable() throws Exception {
    CommandLine reference = Ops.commandLine(Map.of());
    List<String> checked = new ArrayList<>();
    for (OptionSpec option : reference.getCommandSpec().options()) {
      String name = option.longestName();
      if (option.usageHelp() || option.versionHelp() || name.equals("--config") || option.typeInfo().isBoolean()) {
        continue;
      }
      // A value every option's converter accepts is hard to find; a path-typed or string-typed
      // option takes anything, the others are checked by the precedence test above. Here: the
      // variable is read at all, which a value of the wrong type proves by failing on that option.
      String variable = ConfigDefaults.environmentName(name);
      assertThat(variable).startsWith("QUIVER_").doesNotContain("-");
      CommandLine cli = Ops.commandLine(Map.of(variable, "@@not-a-value@@"));
      try {
        cli.parseArgs();
        assertThat(String.valueOf((Object) cli.getCommandSpec().findOption(name).getValue()))
            .as("%s from %s", name, variable).contains("@@not-a-value@@");
      } catch (CommandLine.ParameterException e) {
        assertThat(e.getMessage()).as("%s from %s", name, variable).contains(name).contains("@@not-a-value@@");
      }
      checked.add(name);
    }
    assertThat(checked).contains("--data", "--host", "--port", "--tls-cert", "--tls-key", "--tls-client-ca",
        "--auth-file", "--token-ttl", "--metrics-port", "--log-format", "--max-streams", "--max-uploads",
        "--upload-idle-timeout", "--max-message-size", "--drain-period");
  }

  @Test
  void anInvalidEnvironmentValueStopsStartUp() throws Exception {
    Ops.Run run = Ops.execute(Map.of("QUIVER_MAX_STREAMS", "lots"), "--data", dir.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--max-streams", "lots", "(set by environment variable QUIVER_MAX_STREAMS)");

    run = Ops.execute(Map.of("QUIVER_DRAIN_PERIOD", "soon"), "--data", dir.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--drain-period", "'soon' is not a duration");

    // Converted fine, but out of range: the records' checks apply to every source alike.
    run = Ops.execute(Map.of("QUIVER_MAX_UPLOADS", "0"), "--data", dir.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--max-uploads", "at least 1");
  }

  @Test
  void anInvalidConfigFileValueStopsStartUp() throws Exception {
    Path file = configFile("upload-idle-timeout = forever");
    Ops.Run run = Ops.execute(Map.of(), "--data", dir.toString(), "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--upload-idle-timeout", "forever", "(set by config file " + file + ")");
  }

  @Test
  void anUnknownConfigKeyStopsStartUp() throws Exception {
    Path file = configFile("max-streams = 4", "max-stream = 5");
    Ops.Run run = Ops.execute(Map.of(), "--data", dir.toString(), "--config", file.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(file.toString(), "max-stream").doesNotContain("[max-streams");
  }

  @Test
  void aMissingConfigFileStopsStartUp() throws Exception {
    Path missing = dir.resolve("absent.properties");
    Ops.Run run = Ops.execute(Map.of(), "--data", dir.toString(), "--config", missing.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(missing.toString());

    run = Ops.execute(Map.of("QUIVER_CONFIG", missing.toString()), "--data", dir.toString());
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains(missing.toString());
  }

  @Test
  void helpListsEveryOption() throws Exception {
    Ops.Run run = Ops.execute(Map.of(), "--help");
    assertThat(run.exitCode()).isZero();
    CommandLine reference = Ops.commandLine(Map.of());
    List<String> names = new ArrayList<>();
    for (OptionSpec option : reference.getCommandSpec().options()) {
      if (!option.hidden()) {
        names.addAll(List.of(option.names()));
      }
    }
    assertThat(names).contains("--tls-cert", "--tls-key", "--tls-client-ca", "--auth-file", "--token-ttl",
        "--metrics-port", "--log-format", "--max-streams", "--max-uploads", "--upload-idle-timeout",
        "--max-message-size", "--drain-period", "--config");
    for (String name : names) {
      assertThat(run.out()).as("--help lists " + name).containsPattern("(^|[\\s,\\[])" + java.util.regex.Pattern.quote(
          name) + "([=\\s,\\]]|$)");
    }
    // The precedence is documented where the options are.
    assertThat(run.out()).contains("QUIVER_");
  }

  @Test
  void environmentVariablesThatSetNoOptionAreListed() {
    ConfigDefaults defaults = ConfigDefaults.load(null, Map.of("QUIVER_MAX_STREAMZ", "3", "QUIVER_MAX_STREAMS", "4",
        "QUIVER_LOG_LEVEL", "DEBUG", "PATH", "/bin"));
    assertThat(defaults.unknownEnvironment(java.util.Set.of("--max-streams"), java.util.Set.of("QUIVER_LOG_LEVEL")))
        .containsExactly("QUIVER_MAX_STREAMZ");
  }
}
