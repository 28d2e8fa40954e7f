package dev.quiver.server.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the server is operated: authentication, metrics, logs and shutdown.
 *
 * @param authFile    users and API tokens with their scopes (JSON; see proto-docs); null: no
 *                    authentication, every caller may do everything
 * @param tokenTtl    lifetime of the bearer tokens issued for basic credentials
 * @param metricsPort HTTP port of the Prometheus scrape endpoint ({@code /metrics}); -1: off, 0: any free port
 * @param drainPeriod how long running calls may finish after a shutdown request before they are cut
 */
public record Operations(Path authFile, Duration tokenTtl, int metricsPort, Duration drainPeriod) {
  public static final Operations DEFAULTS = new Operations(null, Duration.ofHours(12), -1, Duration.ofSeconds(30));

  public Operations {
    if (metricsPort < -1 || metricsPort > 65535) {
      throw new IllegalArgumentException("--metrics-port must be between 0 and 65535 (or -1 for none)");
    }
    if (tokenTtl.isNegative() || tokenTtl.isZero()) {
      throw new IllegalArgumentException("--token-ttl must be positive");
    }
    if (drainPeriod.isNegative()) {
      throw new IllegalArgumentException("--drain-period must not be negative");
    }
  }

  public Operations withAuthFile(Path file) {
    return new Operations(file, tokenTtl, metricsPort, drainPeriod);
  }

  public Operations withMetricsPort(int port) {
    return new Operations(authFile, tokenTtl, port, drainPeriod);
  }

  public Operations withDrainPeriod(Duration period) {
    return new Operations(authFile, tokenTtl, metricsPort, period);
  }

  public Operations withTokenTtl(Duration ttl) {
    return new Operations(authFile, ttl, metricsPort, drainPeriod);
  }
}
