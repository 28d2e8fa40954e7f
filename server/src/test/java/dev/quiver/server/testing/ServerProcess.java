package dev.quiver.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Result;

/**
 * The shipped jar ({@code java -jar quiver-server.jar}, the path Failsafe passes as
 * {@code quiver.server.jar}) running as a process of its own on a free loopback port. For the
 * tests that hurt the server: a fault that crashes its JVM must fail the test, not take the test
 * JVM with it, and {@code kill -9} must hit a real process. The process runs in {@code workDir},
 * where its log goes and where the JVM would write its crash report ({@code hs_err_pid*.log}).
 */
public final class ServerProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path workDir;
  private final Path log;
  private final int port;

  private ServerProcess(Process process, Path workDir, Path log, int port) {
    this.process = process;
    this.workDir = workDir;
    this.log = log;
    this.port = port;
  }

  /** Starts the jar on {@code data} with {@code extraArgs}; returns once it listens (its port file exists). */
  public static ServerProcess start(Path data, Path workDir, String... extraArgs) throws Exception {
    Files.createDirectories(workDir);
    Path portFile = workDir.resolve("port");
    Files.deleteIfExists(portFile);
    Path log = Files.createTempFile(workDir, "server", ".log");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--sun-misc-unsafe-memory-access=allow", "-Xmx256m",
        "-jar", System.getProperty("quiver.server.jar"),
        "--data", data.toString(), "--host", "127.0.0.1", "--port", "0", "--port-file", portFile.toString()));
    command.addAll(List.of(extraArgs));
    Process process = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(portFile) || Files.size(portFile) == 0) {
      if (!process.isAlive()) {
        throw new AssertionError("the server exited with " + process.exitValue() + " at start:\n" + read(log));
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new AssertionError("the server wrote no port file within 30 s:\n" + read(log));
      }
      Thread.sleep(20);
    }
    int port = Integer.parseInt(Files.readString(portFile, StandardCharsets.US_ASCII).trim());
    return new ServerProcess(process, workDir, log, port);
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  /** The server's output so far (text log lines, and whatever the JVM printed). */
  public String log() {
    return read(log);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Fails, with the exit code, the JVM's crash report and the log, unless the server still runs. */
  public void assertAlive() {
    if (process.isAlive()) {
      return;
    }
    StringBuilder report = new StringBuilder("the server process died (exit code " + process.exitValue() + ")");
    try (Stream<Path> files = Files.list(workDir)) {
      for (Path crash : files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
        report.append("\nJVM crash report ").append(crash).append(":\n")
            .append(read(crash).lines().limit(40).reduce("", (a, b) -> a + b + "\n"));
      }
    } catch (IOException e) {
      report.append("\n(could not look for a crash report: ").append(e).append(")");
    }
    throw new AssertionError(report.append("\nserver log:\n").append(log()).toString());
  }

  /**
   * {@link #assertAlive()} after giving the process {@code grace} to finish dying: a JVM that
   * crashed takes a moment to write its report and exit, while its connections are already gone.
   */
  public void assertStaysAlive(Duration grace) throws InterruptedException {
    process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
    assertAlive();
  }

  /** The server's {@code stats} action, as JSON. */
  public static JsonNode stats(FlightClient client) throws IOException {
    Iterator<Result> results = client.doAction(new Action("stats"));
    return JSON.readTree(results.next().getBody());
  }

  /** The server's open files and mappings, those under {@code dir} listed. */
  public ProcessResources resources(Path dir) throws IOException {
    return ProcessResources.of(process.pid(), dir);
  }

  /** {@code kill -9}: the server gets no chance to clean up. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("the server survived SIGKILL for 30 s");
    }
  }

  /** Stops the server with SIGTERM (a graceful close), forcibly if it is still running after 20 s. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
