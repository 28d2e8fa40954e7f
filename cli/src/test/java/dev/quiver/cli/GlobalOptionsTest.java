package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where the global options come from: before or after the command, or the environment. */
class GlobalOptionsTest extends ServerFixture {
  @Test
  void globalOptionsWorkBeforeAndAfterTheCommand() {
    Cli.Result before = Cli.run("--server", address(), "--json", "ls");
    Cli.Result after = Cli.run("ls", "--server", address(), "--json");

    assertThat(before.exitCode()).as(before.toString()).isZero();
    assertThat(after.exitCode()).as(after.toString()).isZero();
    assertThat(after.json()).isEqualTo(before.json());
    assertThat(after.json().get(0).get("name").asText()).isEqualTo("sample");
  }

  @Test
  void theServerComesFromQuiverServerWhenNotGiven() {
    Cli.Result result = Cli.run(Map.of("QUIVER_SERVER", address()), Cli.NEVER, "ls", "--json");

    assertThat(result.exitCode()).as(result.toString()).isZero();
    assertThat(result.json().get(0).get("name").asText()).isEqualTo("sample");
  }

  @Test
  void thePublicEntryPointRunsACommandWithTheGivenStreams() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();

    int code = Main.run(new String[] {"--server", address(), "info", "sample", "--json"},
        new java.io.PrintStream(out, true, StandardCharsets.UTF_8), new java.io.PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"rows\":10000");
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
  }

  @Test
  void theOptionWinsOverTheEnvironment() {
    Cli.Result result = Cli.run(Map.of("QUIVER_SERVER", "grpc://127.0.0.1:1"), Cli.NEVER,
        "--server", address(), "ls", "--json");

    assertThat(result.exitCode()).as(result.toString()).isZero();
  }

  @Test
  void withoutServerOptionOrEnvironmentTheDefaultAddressIsUsed() {
    Cli.Result result = Cli.run(Map.of(), Cli.NEVER, "--timeout", "5", "ls");

    // Nothing listens on the default port in tests (the server here took a free port); what matters is where it went.
    assertThat(result.err()).contains(GlobalOptions.DEFAULT_SERVER);
  }

  @Test
  void aTimeoutInSecondsIsAccepted() {
    Cli.Result result = quiver("--timeout", "2.5", "info", "sample");

    assertThat(result.exitCode()).as(result.toString()).isZero();
  }

  @Test
  void tokensComeFromTheOptionOrQuiverToken() throws Exception {
    try (FakeFlightServer fake = new FakeFlightServer()) {
      Cli.Result option = Cli.run("--server", fake.address(), "--token", FakeFlightServer.TOKEN, "ls", "--json");
      Cli.Result env = Cli.run(Map.of("QUIVER_TOKEN", FakeFlightServer.TOKEN), Cli.NEVER,
          "--server", fake.address(), "ls", "--json");

      assertThat(option.exitCode()).as(option.toString()).isZero();
      assertThat(option.json().isArray()).isTrue();
      assertThat(env.exitCode()).as(env.toString()).isZero();
      assertThat(fake.authorizations).containsOnly("Bearer " + FakeFlightServer.TOKEN);
    }
  }

  @Test
  void aUserAuthenticatesWithThePasswordFromTheEnvironment() throws Exception {
    try (FakeFlightServer fake = new FakeFlightServer()) {
      Cli.Result result = Cli.run(Map.of("QUIVER_PASSWORD", FakeFlightServer.PASSWORD), Cli.NEVER,
          "--server", fake.address(), "--user", FakeFlightServer.USER, "ls");

      assertThat(result.exitCode()).as(result.toString()).isZero();
      assertThat(result.err()).contains("no datasets");
      String expected = "Basic " + Base64.getEncoder().encodeToString(
          (FakeFlightServer.USER + ":" + FakeFlightServer.PASSWORD).getBytes(StandardCharsets.UTF_8));
      assertThat(fake.authorizations).containsOnly(expected);
    }
  }

  @Test
  void aUserWithoutQuiverPasswordIsToldWhereThePasswordGoes() {
    Cli.Result result = quiver("--user", "ada", "ls");

    assertThat(result.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(result.err()).contains("QUIVER_PASSWORD");
  }
}
