package dev.quiver.server.config;

import java.time.Duration;

/**
 * Bounds on concurrent work, so that a burst of clients slows down instead of exhausting the
 * server: DoGet streams and uploads beyond these are refused with RESOURCE_EXHAUSTED and a retry
 * hint; an upload that sends nothing for {@code idleUploadTimeout} is cancelled (nothing stored);
 * a message larger than {@code maxMessageBytes} is refused by gRPC.
 *
 * @param maxStreams        concurrent DoGet streams
 * @param maxUploads        concurrent DoPut uploads
 * @param idleUploadTimeout longest silence within an upload
 * @param maxMessageBytes   largest incoming gRPC message (one FlightData: an IPC message)
 */
public record CallLimits(int maxStreams, int maxUploads, Duration idleUploadTimeout, int maxMessageBytes) {
  public static final CallLimits DEFAULTS = new CallLimits(256, 16, Duration.ofMinutes(5), Integer.MAX_VALUE);

  public CallLimits {
    if (maxStreams < 1 || maxUploads < 1) {
      throw new IllegalArgumentException("--max-streams and --max-uploads must be at least 1");
    }
    if (idleUploadTimeout.isNegative() || idleUploadTimeout.isZero()) {
      throw new IllegalArgumentException("--upload-idle-timeout must be positive");
    }
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("--max-message-size must be at least 1 KiB");
    }
  }
}
