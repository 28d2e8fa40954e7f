package dev.quiver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quiver.server.QuiverServer;
import dev.quiver.server.catalog.SampleDataset;
import dev.quiver.server.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar, run the way users run it: {@code java -jar quiver.jar ...} on JDK 17, the
 * oldest Java the command supports, against a real server. It must print exactly its result: no
 * warnings from Arrow, Netty, gRPC or SLF4J on stderr. The JDK is found under /usr/lib/jvm, or
 * named by the system property {@code quiver.java17} (the java executable).
 */
class JarOnJava17IT {
  @TempDir
  Path dataDir;

  /** Runs the jar; returns exit code, stdout and stderr. */
  private static Cli.Result runJar(Path java, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(java.toString(), "-jar", jar().toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close(); // no input: stdin at end of file
    // Small outputs: reading one stream to its end before the other cannot deadlock here.
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("quiver " + String.join(" ", args) + " did not finish within 60 s");
    }
    return new Cli.Result(process.exitValue(), out, err);
  }

  private static Path jar() {
    String property = System.getProperty("quiver.cli.jar");
    assertThat(property).as("system property quiver.cli.jar (set by failsafe in cli/pom.xml)").isNotNull();
    Path jar = Path.of(property);
    assertThat(jar).as("the shaded jar; run mvn verify, which packages it first").isRegularFile();
    return jar;
  }

  /** The java executable of a JDK 17. */
  private static Path java17() throws IOException {
    String property = System.getProperty("quiver.java17");
    if (property != null) {
      return Path.of(property);
    }
    Optional<Path> found = Optional.empty();
    Path jvms = Path.of("/usr/lib/jvm");
    if (Files.isDirectory(jvms)) {
      try (Stream<Path> homes = Files.list(jvms)) {
        found = homes.filter(home -> isJdk17(home.resolve("release"))).map(home -> home.resolve("bin/java"))
            .filter(Files::isExecutable).sorted().findFirst();
      }
    }
    return found.orElseThrow(() -> new AssertionError("no JDK 17 under /usr/lib/jvm (looked for a release file with"
        + " JAVA_VERSION=\"17...\"); install one (apt-get install openjdk-17-jdk-headless) or pass"
        + " -Dquiver.java17=/path/to/java"));
  }

  private static boolean isJdk17(Path release) {
    try {
      return Files.isRegularFile(release)
          && Files.readAllLines(release).stream().anyMatch(l -> l.startsWith("JAVA_VERSION=\"17"));
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void lsJsonOnJava17PrintsOnlyTheListing() throws Exception {
    Path java = java17();
    SampleDataset.writeInto(dataDir);
    QuiverServer server = QuiverServer.start(ServerConfig.forTesting(dataDir));
    try {
      String address = "grpc://127.0.0.1:" + server.port();

      Cli.Result ls = runJar(java, "--server", address, "ls", "--json");
      Cli.Result missing = runJar(java, "--server", address, "info", "missing");

      assertThat(ls.exitCode()).as(ls.toString()).isZero();
      assertThat(ls.err()).as("stderr of a successful run").isEmpty();
      JsonNode listing = new ObjectMapper().readTree(ls.out());
      assertThat(listing).hasSize(1);
      assertThat(listing.get(0).get("name").asText()).isEqualTo("sample");
      assertThat(listing.get(0).get("rows").asLong()).isEqualTo(10_000);
      // The exit code reaches the shell through System.exit, not only through Main.run.
      assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(ExitCodes.NOT_FOUND);
      assertThat(missing.err().lines()).hasSize(1).first().asString().startsWith("quiver: ");
    } finally {
      server.close();
    }
  }
}
