package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quiver.server.QuiverServer;
import dev.quiver.server.config.ServerConfig;
import dev.quiver.server.upload.UploadLimits;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every exit code, produced the way a user would meet it, with the one-line message and the JSON error. */
class ExitCodesTest extends ServerFixture {
  @TempDir
  Path work;

  private static void assertFailure(Cli.Result result, int code) {
    assertThat(result.exitCode()).as(result.toString()).isEqualTo(code);
    assertThat(result.err()).as(result.toString()).startsWith("quiver: ").endsWith(System.lineSeparator());
    assertThat(result.err().lines()).as("one line, no stack trace").hasSize(1);
  }

  @Test
  void notFoundIs3() {
    Cli.Result result = quiver("info", "missing");

    assertFailure(result, ExitCodes.NOT_FOUND);
    assertThat(result.err()).contains("'missing'").contains("not found");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void errorsAreAlsoJsonOnStdoutWithJson() {
    Cli.Result result = quiver("schema", "missing", "--json");

    assertFailure(result, ExitCodes.NOT_FOUND);
    JsonNode json = result.json();
    assertThat(json.get("kind").asText()).isEqualTo("not_found");
    assertThat(json.get("exit_code").asInt()).isEqualTo(3);
    assertThat(result.err()).isEqualTo("quiver: " + json.get("error").asText() + System.lineSeparator());
  }

  @Test
  void existsIs4() throws IOException {
    Path file = work.resolve("sample.arrow");
    assertThat(quiver("get", "sample", file.toString()).exitCode()).isZero();

    assertFailure(quiver("put", file.toString(), "sample"), ExitCodes.EXISTS);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "ls --bogus",
      "info",
      "get sample",
      "put a b c",
      "get sample x.arrow --parallel 0",
      "get sample x.arrow --parallel many",
      "put x.arrow y --mode sometimes",
      "info ../escape",
      "info a//b",
      "--server foo://localhost:8815 ls",
      "--server grpc://localhost ls",
      "--timeout 0 ls",
      "--timeout -1 ls",
      "--user ada ls",
      "--user ada --token t ls",
      "--tls-ca /no/such/ca.pem ls",
      "nosuchcommand"})
  void usageErrorsAre2(String commandLine) {
    Cli.Result result = quiver(commandLine.split(" "));

    assertFailure(result, ExitCodes.USAGE);
    assertThat(result.out()).isEmpty();
  }

  @Test
  void noCommandIsAUsageErrorThatNamesTheCommands() {
    Cli.Result result = Cli.run();

    assertFailure(result, ExitCodes.USAGE);
    assertThat(result.err()).contains("ls, info, schema, get, put, rm, mv");
  }

  @Test
  void aMistypedCommandGetsASuggestion() {
    Cli.Result result = quiver("lss");

    assertFailure(result, ExitCodes.USAGE);
    assertThat(result.err()).contains("'lss'").contains("did you mean ls?");
  }

  @Test
  void usageErrorsAreJsonTooWhenJsonComesAfterTheMistake() {
    Cli.Result result = quiver("ls", "--bogus", "--json");

    assertFailure(result, ExitCodes.USAGE);
    assertThat(result.json().get("kind").asText()).isEqualTo("usage");
    assertThat(result.json().get("error").asText()).contains("--bogus");
  }

  @Test
  void certificatesForAPlainConnectionAreAUsageError() throws IOException {
    Path ca = Files.writeString(work.resolve("ca.pem"), "not really a certificate");

    Cli.Result result = quiver("--tls-ca", ca.toString(), "ls");

    assertFailure(result, ExitCodes.USAGE);
    assertThat(result.err()).contains("grpc+tls://");
  }

  @Test
  void authenticationAndPermissionFailuresAre5() throws Exception {
    try (FakeFlightServer fake = new FakeFlightServer()) {
      Cli.Result anonymous = Cli.run("--server", fake.address(), "ls");
      Cli.Result wrongToken = Cli.run("--server", fake.address(), "--token", "guess", "ls", "--json");
      Cli.Result readOnly = Cli.run("--server", fake.address(), "--token", FakeFlightServer.READ_ONLY_TOKEN, "ls");

      assertFailure(anonymous, ExitCodes.AUTH);
      assertThat(anonymous.err()).contains("missing or wrong credentials");
      assertFailure(wrongToken, ExitCodes.AUTH);
      assertThat(wrongToken.json().get("kind").asText()).isEqualTo("authentication");
      assertFailure(readOnly, ExitCodes.AUTH);
      assertThat(readOnly.err()).contains("may not list datasets");
    }
  }

  @Test
  void serverRefusalsAre6() throws Exception {
    Path file = work.resolve("sample.arrow");
    assertThat(quiver("get", "sample", file.toString()).exitCode()).isZero();
    Path data = Files.createDirectories(work.resolve("small-server"));
    ServerConfig config = ServerConfig.forTesting(data).withUploadLimits(new UploadLimits(1024, 0));
    QuiverServer small = QuiverServer.start(config);
    try {
      Cli.Result result = Cli.run("--server", "grpc://127.0.0.1:" + small.port(), "put", file.toString(), "big",
          "--json");

      assertFailure(result, ExitCodes.SERVER);
      assertThat(result.json().get("kind").asText()).isEqualTo("server");
    } finally {
      small.close();
    }
  }

  @Test
  void anUnreachableServerIs7() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }

    Cli.Result result = Cli.run("--server", "grpc://127.0.0.1:" + closedPort, "--timeout", "5", "ls", "--json");

    assertFailure(result, ExitCodes.NETWORK);
    assertThat(result.err()).contains("grpc://127.0.0.1:" + closedPort);
    assertThat(result.json().get("kind").asText()).isEqualTo("network");
  }

  @Test
  void localFileProblemsAre8() throws IOException {
    Path notArrow = Files.writeString(work.resolve("notes.txt"), "these are not record batches\n".repeat(10));

    Cli.Result missingDirectory = quiver("get", "sample", work.resolve("no/such/dir/x.arrow").toString());
    Cli.Result ontoADirectory = quiver("get", "sample", work.toString());
    Cli.Result notAnArrowFile = quiver("put", notArrow.toString(), "notes");
    Cli.Result missingFile = quiver("put", work.resolve("missing.arrow").toString(), "missing", "--json");

    assertFailure(missingDirectory, ExitCodes.LOCAL_IO);
    assertThat(missingDirectory.err()).contains("does not exist");
    assertFailure(ontoADirectory, ExitCodes.LOCAL_IO);
    assertFailure(notAnArrowFile, ExitCodes.LOCAL_IO);
    assertThat(notAnArrowFile.err()).contains("not a readable Arrow IPC file");
    assertFailure(missingFile, ExitCodes.LOCAL_IO);
    assertThat(missingFile.json().get("kind").asText()).isEqualTo("local_io");
    assertThat(quiver("info", "notes").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void helpListsTheExitCodesAndExits0() {
    Cli.Result top = Cli.run("--help");
    Cli.Result get = Cli.run("get", "--help");
    Cli.Result helpCommand = Cli.run("help", "put");

    assertThat(top.exitCode()).isZero();
    assertThat(top.out()).contains("Exit codes:").containsPattern("\\n  130 +cancelled")
        .containsPattern("\\n  7 +network").contains("QUIVER_PASSWORD");
    assertThat(get.exitCode()).isZero();
    assertThat(get.out()).contains("Usage: quiver get").contains("--parallel=N").contains("Exit codes:");
    assertThat(helpCommand.exitCode()).isZero();
    assertThat(helpCommand.out()).contains("Usage: quiver put").contains("--mode=MODE");
  }

  @Test
  void versionNamesTheBuildAndTheJvm() {
    Cli.Result result = Cli.run("--version");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out().lines().toList()).first().asString().matches("quiver \\d+\\.\\d+\\.\\d+.*");
    assertThat(result.out()).contains("Java " + System.getProperty("java.version"));
  }

  @Test
  void exitCodesFollowTheExceptionTypes() {
    Map<Throwable, Integer> cases = Map.of(
        new dev.quiver.client.InvalidRequestException("x", null), 2,
        new IllegalArgumentException("x"), 2,
        new dev.quiver.client.DatasetNotFoundException("x", null), 3,
        new dev.quiver.client.DatasetExistsException("x", null), 4,
        new dev.quiver.client.AuthenticationException("x", null), 5,
        new dev.quiver.client.ServerException("INTERNAL", "x", null), 6,
        new dev.quiver.client.NetworkException("x", null), 7,
        new dev.quiver.client.LocalIoException("x", null), 8,
        new dev.quiver.client.TransferCancelledException("x", null), 130,
        new IllegalStateException("a bug"), 1);

    cases.forEach((error, code) -> assertThat(ExitCodes.of(error)).as(error.toString()).isEqualTo(code));
    assertThat(ExitCodes.kind(ExitCodes.INTERNAL)).isEqualTo("internal");
  }
}
