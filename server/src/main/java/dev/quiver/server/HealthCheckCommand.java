package dev.quiver.server;

import dev.quiver.server.config.DurationConverter;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quiver-server health-check}: asks a running server's standard gRPC health service
 * ({@code grpc.health.v1.Health}) whether it is {@code SERVING}; exit code 0 if it is, 1 if it is
 * not, cannot be reached or does not answer in time. It is the container image's
 * {@code HEALTHCHECK}: a check that needs nothing but the JVM already in the image.
 *
 * <p>As a subcommand of {@link Main} it takes its defaults the way the server does (flag, then
 * {@code QUIVER_PORT} / {@code QUIVER_HOST}, then the {@code --config} file), so a check run next
 * to a server configured through the environment finds it without being told where.
 */
@Command(name = "health-check", mixinStandardHelpOptions = true,
    description = {"Asks a running server's gRPC health service (grpc.health.v1) whether it is SERVING.",
        "Exit code 0: SERVING; 1: NOT_SERVING (starting or draining), unreachable or no answer in time.",
        "Host and port default to the server's own settings (QUIVER_HOST, QUIVER_PORT, the config file);"
            + " a wildcard listen address (0.0.0.0, ::) means localhost."})
public final class HealthCheckCommand implements Callable<Integer> {
  private static final Set<String> WILDCARDS = Set.of("", "0.0.0.0", "::", "[::]", "*");

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "localhost",
      description = "Where the server listens (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", paramLabel = "N", defaultValue = "8815",
      description = "The server's Flight port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--service", paramLabel = "NAME", defaultValue = "",
      description = "Service to ask about: \"\" (default) for the server, or arrow.flight.protocol.FlightService.")
  String service;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
      description = "How long to wait for the answer, connecting included (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--tls-ca", paramLabel = "PEM",
      description = "Connect with TLS, trusting the server certificates these CA certificates (PEM) signed.")
  Path tlsCa;

  @Option(names = "--tls-server-name", paramLabel = "NAME",
      description = "With --tls-ca: the name the server certificate must hold, when it is not HOST.")
  String tlsServerName;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InterruptedException {
    if (port < 1 || port > 65_535) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--port must be between 1 and 65535, not " + port);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--timeout must be positive");
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String target = WILDCARDS.contains(host.strip()) ? "localhost" : host.strip();
    String where = (tlsCa != null ? "grpc+tls://" : "grpc://") + target + ":" + port;
    NettyChannelBuilder builder = NettyChannelBuilder.forAddress(target, port);
    if (tlsCa != null) {
      if (!Files.isReadable(tlsCa)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--tls-ca " + tlsCa + ": no such readable file");
      }
      try {
        builder.sslContext(GrpcSslContexts.forClient().trustManager(tlsCa.toFile()).build());
      } catch (SSLException | IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--tls-ca " + tlsCa + ": not a PEM certificate bundle: " + e.getMessage());
      }
      if (tlsServerName != null) {
        builder.overrideAuthority(tlsServerName);
      }
    } else {
      builder.usePlaintext();
    }
    ManagedChannel channel = builder.build();
    try {
      ServingStatus status = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
      out.println(status);
      out.flush();
      if (status != ServingStatus.SERVING) {
        err.println("health-check: " + where + " is " + status);
        err.flush();
        return 1;
      }
      return 0;
    } catch (StatusRuntimeException e) {
      String description = e.getStatus().getDescription();
      err.println("health-check: " + where + ": " + e.getStatus().getCode()
          + (description == null ? "" : " (" + description + ")")
          + (tlsCa == null && e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE
              ? "; if the server uses TLS, pass --tls-ca (or set QUIVER_TLS_CA)" : ""));
      err.flush();
      return 1;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
