package dev.quiver.docker;

import static org.assertj.core.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HealthCheck;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

/**
 * The image under test: docker/Dockerfile built once per test run, from a context holding exactly
 * what the repository's .dockerignore lets through (the Dockerfile and the server jar the reactor
 * packaged before the integration-test phase), and containers of it serving a host directory.
 */
final class QuiverImage {
  static final int FLIGHT_PORT = 8815;
  static final int METRICS_PORT = 9464;
  /** The image's user; a bind-mounted data directory must be writable by it. */
  static final int IMAGE_UID = 10001;
  static final String TAG = "quiver-server:it";

  static final Path REPOSITORY = Path.of(System.getProperty("quiver.repository", "..")).toAbsolutePath().normalize();
  static final Path DOCKERFILE = REPOSITORY.resolve("docker/Dockerfile");
  static final Path SERVER_JAR = REPOSITORY.resolve("server/target/quiver-server.jar");

  private static String built;

  private QuiverImage() {}

  /** Builds the image (once per JVM) as {@code docker build -f docker/Dockerfile .} would, and returns its tag. */
  @SuppressWarnings("deprecation") // withDockerfilePath: the context is given file by file, not a directory
  static synchronized String name() {
    if (built == null) {
      if (!Files.isRegularFile(SERVER_JAR)) {
        fail("no server jar at " + SERVER_JAR + ": the image packages it; build it first (./dev build)");
      }
      built = new ImageFromDockerfile(TAG, false)
          .withFileFromPath("docker/Dockerfile", DOCKERFILE)
          .withFileFromPath("server/target/quiver-server.jar", SERVER_JAR)
          .withDockerfilePath("docker/Dockerfile")
          .get();
    }
    return built;
  }

  static DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  /**
   * A container of the image serving {@code data} (bind-mounted at /data), not started. It counts
   * as started once the image's own HEALTHCHECK command reports healthy: the tests keep the
   * command but run it every 2 s instead of every 30 s, so they do not wait half a minute.
   *
   * <p>Run as root (CI), the container keeps the image's user (uid 10001) and the directory is
   * opened to it; run as anyone else, the container runs as that user (what docker/README.md tells
   * users of bind mounts to do), so the files the server writes can be cleaned up afterwards.
   */
  static GenericContainer<?> container(Path data) throws IOException {
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx"));
    int uid = hostUid(data);
    int gid = (Integer) Files.getAttribute(data, "unix:gid");
    HealthCheck imageCheck = docker().inspectImageCmd(name()).exec().getConfig().getHealthcheck();
    HealthCheck quickCheck = new HealthCheck()
        .withTest(imageCheck.getTest())
        .withInterval(TimeUnit.SECONDS.toNanos(2))
        .withTimeout(TimeUnit.SECONDS.toNanos(20))
        .withStartPeriod(TimeUnit.SECONDS.toNanos(60))
        .withRetries(3);
    return new GenericContainer<>(DockerImageName.parse(name()))
        .withImagePullPolicy(image -> false)
        .withExposedPorts(FLIGHT_PORT, METRICS_PORT)
        .withCreateContainerCmdModifier(cmd -> {
          cmd.getHostConfig().withBinds(new Bind(data.toString(), new Volume("/data")));
          cmd.withHealthcheck(quickCheck);
          if (uid != 0) {
            cmd.withUser(uid + ":" + gid);
          }
        })
        .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("container")))
        .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(2)));
  }

  /** Whether the containers run as the image's own user (the tests run as root). */
  static boolean asImageUser(Path data) throws IOException {
    return hostUid(data) == 0;
  }

  /** The uid this JVM runs as: the owner of a directory it created. */
  private static int hostUid(Path ownDirectory) throws IOException {
    return (Integer) Files.getAttribute(ownDirectory, "unix:uid");
  }

  /** {@code grpc://host:port} of a started container's Flight port, as mapped on this machine. */
  static String uri(GenericContainer<?> container) {
    return "grpc://" + container.getHost() + ":" + container.getMappedPort(FLIGHT_PORT);
  }

  /**
   * The Python with pyarrow: {@code -Dquiver.python} (./dev test sets it), else the virtualenv
   * ./dev makes. A missing one fails the test rather than skipping it: pyarrow interop is part of
   * what the image is checked for.
   */
  static Path python() {
    String property = System.getProperty("quiver.python", "");
    if (!property.isBlank() && !property.startsWith("${")) {
      return Path.of(property);
    }
    Path venv = REPOSITORY.resolve("target/venv/bin/python");
    if (Files.isExecutable(venv)) {
      return venv;
    }
    return fail("no Python with pyarrow: run the tests with ./dev test, or pass -Dquiver.python=PATH"
        + " (./dev python-env prints one)");
  }

  static List<String> healthCheckCommand() {
    return docker().inspectImageCmd(name()).exec().getConfig().getHealthcheck().getTest();
  }
}
