package dev.quiver.cli;

import dev.quiver.client.QuiverClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Options every command takes, before or after the command name ({@code quiver --json ls} and
 * {@code quiver ls --json} are the same): where the server is, how to trust and authenticate to
 * it, the control-call deadline, and the output format. A password is never an option: command
 * lines are visible to other users in {@code ps}, so it comes from {@code QUIVER_PASSWORD}.
 */
final class GlobalOptions {
  static final String DEFAULT_SERVER = "grpc://localhost:8815";

  @Option(names = "--server", paramLabel = "URI", scope = ScopeType.INHERIT,
      description = "Server address: grpc://host:port, or grpc+tls://host:port for TLS"
          + " (default: $QUIVER_SERVER, else " + DEFAULT_SERVER + ").")
  String server;

  @Option(names = "--tls-ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "PEM certificates to trust for grpc+tls:// instead of the JDK's trust store"
          + " (for a server with a private CA or a self-signed certificate).")
  Path tlsCa;

  @Option(names = "--token", paramLabel = "TOKEN", scope = ScopeType.INHERIT,
      description = "Bearer token sent with every call (default: $QUIVER_TOKEN).")
  String token;

  @Option(names = "--user", paramLabel = "USER", scope = ScopeType.INHERIT,
      description = "User name for basic authentication; the password is read from $QUIVER_PASSWORD.")
  String user;

  @Option(names = "--timeout", paramLabel = "SECONDS", scope = ScopeType.INHERIT,
      description = "Deadline of each control call: ls, info, schema, rm, mv, and the first call of a"
          + " download (default: 30). Transfers themselves may take up to an hour.")
  Double timeout;

  @Option(names = "--json", scope = ScopeType.INHERIT,
      description = "Print results (and errors) as JSON on stdout, for scripts.")
  boolean json;

  /**
   * A client configured from these options and the environment. It connects lazily, so a wrong
   * address shows up at the first call, as a network error (exit 7).
   *
   * @throws IllegalArgumentException for contradictory or malformed settings (exit 2)
   */
  QuiverClient connect(Session session) {
    String uri = server != null ? server : orDefault(session.env("QUIVER_SERVER"), DEFAULT_SERVER);
    QuiverClient.Builder builder = QuiverClient.builder(uri);
    if (tlsCa != null) {
      if (!Files.isReadable(tlsCa)) {
        throw new IllegalArgumentException("--tls-ca " + tlsCa + ": no such readable file");
      }
      builder.trustedCertificates(tlsCa);
    }
    if (user != null) {
      if (token != null) {
        throw new IllegalArgumentException("give either --token or --user, not both");
      }
      String password = session.env("QUIVER_PASSWORD");
      if (password == null) {
        throw new IllegalArgumentException("--user " + user + " needs the password in the environment variable"
            + " QUIVER_PASSWORD (it is never taken from the command line)");
      }
      builder.basicAuth(user, password);
    } else {
      String bearer = token != null ? token : session.env("QUIVER_TOKEN");
      if (bearer != null) {
        builder.bearerToken(bearer);
      }
    }
    if (timeout != null) {
      if (!(timeout > 0) || timeout.isInfinite()) {
        throw new IllegalArgumentException("--timeout must be a positive number of seconds, not " + timeout);
      }
      builder.callTimeout(Duration.ofNanos(Math.max(1, Math.round(timeout * 1e9))));
    }
    return builder.build();
  }

  private static String orDefault(String value, String fallback) {
    return value != null ? value : fallback;
  }
}
