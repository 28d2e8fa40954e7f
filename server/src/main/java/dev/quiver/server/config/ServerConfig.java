package dev.quiver.server.config;

import dev.quiver.server.upload.UploadLimits;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything a {@code QuiverServer} needs to start.
 *
 * @param dataDir             the data root: every Arrow IPC file below it is a dataset
 * @param host                address to listen on ({@code 0.0.0.0} for all interfaces)
 * @param port                TCP port; 0 picks a free one
 * @param endpointTargetBytes datasets larger than this are split into endpoints of about this size
 * @param onReadyThreshold    bytes gRPC may queue per stream before the stream pauses for the client
 * @param allocatorLimit      bytes the server's Arrow allocator may hold
 * @param uploadLimits        bounds on DoPut uploads
 * @param writeBufferBytes    bytes a connection may queue for its socket before writes pause
 * @param tls                 TLS and mutual TLS on the Flight port
 * @param limits              bounds on concurrent streams and uploads, idle uploads, message size
 * @param operations          authentication, metrics, shutdown
 */
public record ServerConfig(
    Path dataDir, String host, int port, long endpointTargetBytes, int onReadyThreshold, long allocatorLimit,
    UploadLimits uploadLimits, int writeBufferBytes, TlsSettings tls, CallLimits limits, Operations operations) {

  public static final int DEFAULT_PORT = 8815;
  public static final long DEFAULT_ENDPOINT_TARGET_BYTES = 256L << 20;
  public static final int DEFAULT_ON_READY_THRESHOLD = 1 << 20;
  public static final long DEFAULT_ALLOCATOR_LIMIT = 1L << 30;
  public static final int DEFAULT_WRITE_BUFFER_BYTES = 8 << 20;

  public ServerConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
    }
    if (endpointTargetBytes <= 0) {
      throw new IllegalArgumentException("endpoint size must be positive, got " + endpointTargetBytes);
    }
    if (onReadyThreshold <= 0) {
      throw new IllegalArgumentException("stream buffer must be positive, got " + onReadyThreshold);
    }
    if (writeBufferBytes < 2) {
      throw new IllegalArgumentException("write buffer must be at least 2 bytes, got " + writeBufferBytes);
    }
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(operations, "operations");
  }

  /** Defaults for everything but the data directory; loopback, free port: what tests want. */
  public static ServerConfig forTesting(Path dataDir) {
    return new ServerConfig(dataDir, "127.0.0.1", 0, DEFAULT_ENDPOINT_TARGET_BYTES, DEFAULT_ON_READY_THRESHOLD,
        DEFAULT_ALLOCATOR_LIMIT, new UploadLimits(UploadLimits.DEFAULT_MAX_UPLOAD_BYTES, 0),
        DEFAULT_WRITE_BUFFER_BYTES, TlsSettings.NONE, CallLimits.DEFAULTS, Operations.DEFAULTS.withDrainPeriod(
            java.time.Duration.ofSeconds(5)));
  }

  public ServerConfig withEndpointTargetBytes(long bytes) {
    return new ServerConfig(dataDir, host, port, bytes, onReadyThreshold, allocatorLimit, uploadLimits,
        writeBufferBytes, tls, limits, operations);
  }

  public ServerConfig withOnReadyThreshold(int bytes) {
    return new ServerConfig(dataDir, host, port, endpointTargetBytes, bytes, allocatorLimit, uploadLimits,
        writeBufferBytes, tls, limits, operations);
  }

  public ServerConfig withUploadLimits(UploadLimits uploadLimits) {
    return new ServerConfig(dataDir, host, port, endpointTargetBytes, onReadyThreshold, allocatorLimit, uploadLimits,
        writeBufferBytes, tls, limits, operations);
  }

  public ServerConfig withWriteBufferBytes(int bytes) {
    return new ServerConfig(dataDir, host, port, endpointTargetBytes, onReadyThreshold, allocatorLimit, uploadLimits,
        bytes, tls, limits, operations);
  }

  public ServerConfig withTls(TlsSettings tls) {
    return new ServerConfig(dataDir, host, port, endpointTargetBytes, onReadyThreshold, allocatorLimit, uploadLimits,
        writeBufferBytes, tls, limits, operations);
  }

  public ServerConfig withLimits(CallLimits limits) {
    return new ServerConfig(dataDir, host, port, endpointTargetBytes, onReadyThreshold, allocatorLimit, uploadLimits,
        writeBufferBytes, tls, limits, operations);
  }

  public ServerConfig withOperations(Operations operations) {
    return new ServerConfig(dataDir, host, port, endpointTargetBytes, onReadyThreshold, allocatorLimit, uploadLimits,
        writeBufferBytes, tls, limits, operations);
  }
}
